<?php
/**
 * The plugin against the real worker (gunicorn API and job consumer) and the fake feed origin,
 * both started by tests/plugin/run.py on 127.0.0.1.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Clock;
use ATAI\Contract;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Posts;
use ATAI\Runs;
use ATAI\Worker;

/**
 * Dispatch, collect, post: the whole round trip, with no part of it faked.
 */
final class WorkerIntegrationTest extends WorkerTestCase {

	public function test_test_connection_describes_the_worker_in_words(): void {
		self::act_as( 'administrator' );

		$response = self::request( 'GET', 'worker/status' );

		$this->assertSame( 200, $response->get_status(), self::error_text( $response ) );
		$this->assertTrue( $response->get_data()['ok'] );
		$this->assertStringStartsWith( 'Connected to the worker (version ', $response->get_data()['message'] );
		$this->assertStringContainsString( 'Queue: sqlite, ', $response->get_data()['message'] );
		$this->assertStringNotContainsString( self::env( 'ATAI_TEST_WORKER_SECRET' ), self::body_json( $response ) );
	}

	public function test_a_wrong_shared_secret_is_reported_as_such(): void {
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), 'not-the-shared-secret-of-this-worker' );

		$status = Worker\status();

		$this->assertSame( 'atai_worker_unauthorized', $status->get_error_code() );
		$this->assertStringStartsWith( 'The worker rejected the shared secret (401).', $status->get_error_message() );
	}

	public function test_a_feed_is_dispatched_collected_and_posted_with_a_link_to_each_source(): void {
		$feed = self::create_feed(
			array(
				'url'         => self::origin( '/gen/roundtrip.xml?items=3&size=2500' ),
				'post_status' => 'publish',
			)
		);

		$feed = $this->run_to_the_end( $feed );

		$this->assertSame( 'done', $feed->last_status, $feed->last_error );
		$this->assertSame( '', $feed->last_error );
		$this->assertSame( 'Larkmouth Notes: roundtrip', $feed->title );
		$this->assertNotNull( $feed->etag );
		$posts = self::posts_of( $feed->id );
		$this->assertCount( 3, $posts );
		foreach ( $posts as $key => $post_id ) {
			$post   = get_post( $post_id );
			$source = get_post_meta( $post_id, Posts\META_SOURCE_URL, true );
			$this->assertSame( 'publish', $post->post_status );
			$this->assertStringStartsWith( self::origin( '/gen/articles/roundtrip-' ), $source );
			$this->assertStringContainsString( '<p class="atai-source">Source: <a href="' . esc_url( $source ) . '">', $post->post_content );
			$this->assertSame( 'posted', Ledger\get( $key )['state'] );
		}
	}

	public function test_running_an_unchanged_feed_again_makes_no_second_post(): void {
		$feed  = self::create_feed( array( 'url' => self::origin( '/gen/twice.xml?items=2' ) ) );
		$first = self::posts_of( $this->run_to_the_end( $feed )->id );

		$again = $this->run_to_the_end( Feeds\get( $feed->id ) );

		$this->assertCount( 2, $first );
		$this->assertSame( 'done', $again->last_status, $again->last_error );
		$this->assertSame( $first, self::posts_of( $feed->id ) );
	}

	public function test_entries_beyond_max_posts_come_in_later_runs_without_duplicates(): void {
		$feed = self::create_feed(
			array(
				'url'       => self::origin( '/gen/capped.xml?items=5' ),
				'max_posts' => 2,
			)
		);

		$counts = array();
		for ( $run = 1; $run <= 3; $run++ ) {
			$feed     = $this->run_to_the_end( Feeds\get( $feed->id ) );
			$counts[] = count( self::posts_of( $feed->id ) );
		}

		$this->assertSame( array( 2, 4, 5 ), $counts );
		$this->assertSame( 0, $feed->entries_deferred );
		$this->assertSame( 5, Ledger\count_posted( array( $feed->id ) )[ $feed->id ] );
	}

	public function test_a_hostile_feed_becomes_clean_posts(): void {
		$feed = self::create_feed(
			array(
				'url'         => self::origin( '/gen/hostile.xml?items=2&hostile=1' ),
				'post_status' => 'publish',
			)
		);

		$feed = $this->run_to_the_end( $feed );

		$posts = self::posts_of( $feed->id );
		$this->assertNotEmpty( $posts, $feed->last_error );
		foreach ( $posts as $post_id ) {
			$html = get_post( $post_id )->post_content . get_post( $post_id )->post_title;
			$this->assertDoesNotMatchRegularExpression( '/<\s*(script|iframe|object|embed)\b/i', $html );
			$this->assertDoesNotMatchRegularExpression( '/<[^>]*\son\w+\s*=/i', $html );
			$this->assertDoesNotMatchRegularExpression( '/<[^>]*\b(href|src)\s*=\s*["\']?\s*(javascript|data|vbscript):/i', $html );
		}
	}

	public function test_a_page_that_is_not_a_feed_fails_the_run_with_the_reason_in_words(): void {
		$feed = self::create_feed( array( 'url' => self::origin( '/notfeed' ) ) );

		$feed = $this->run_to_the_end( $feed );

		$this->assertSame( 'failed', $feed->last_status );
		$this->assertNotSame( '', $feed->last_error );
		$this->assertSame( array(), self::posts_of( $feed->id ) );
		$this->assertContains( $feed->id, array_column( Feeds\all(), 'id' ) );
	}

	public function test_a_run_the_worker_does_not_know_is_forgotten_and_the_feed_runs_again(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::set_feed_columns(
			self::create_feed( array( 'url' => self::origin( '/gen/lost.xml?items=1' ) ) )->id,
			array(
				'run_id'         => $run_id,
				'run_started_at' => Clock\utc( -60 ),
				'next_run_at'    => Clock\utc( 3600 ),
			)
		);

		$result = Runs\collect( $feed, microtime( true ) + 20 );

		$this->assertSame( 'atai_worker_run_unknown', $result->get_error_code() );
		$this->assertNull( Feeds\get( $feed->id )->run_id );
		$this->assertContains( $feed->id, array_column( Runs\due_feeds(), 'id' ) );
		$this->assertCount( 1, self::posts_of( $this->run_to_the_end( Feeds\get( $feed->id ) )->id ) );
	}

	public function test_a_feed_set_to_always_take_the_full_article_has_the_worker_fetch_each_page(): void {
		$path = static fn( string $name ): array => array_values(
			array_filter(
				array_column( self::origin_log(), 'path' ),
				static fn( string $requested ) => str_starts_with( $requested, '/gen/articles/' . $name . '-' )
			)
		);
		// Entries with their whole text: the worker takes the page only when the feed says so (nor for a sharing image).
		$auto   = self::create_feed(
			array(
				'url'            => self::origin( '/gen/fulltext-auto.xml?items=2&size=3000' ),
				'featured_image' => 'feed',
			)
		);
		$always = self::create_feed(
			array(
				'url'       => self::origin( '/gen/fulltext-always.xml?items=2&size=3000' ),
				'full_text' => 'always',
			)
		);

		$this->run_to_the_end( $auto );
		$this->run_to_the_end( $always );

		$this->assertSame( 'always', Feeds\get( $always->id )->options['full_text'] );
		$this->assertSame( array(), $path( 'fulltext-auto' ) );
		$this->assertCount( 2, $path( 'fulltext-always' ) );
		$this->assertCount( 2, self::posts_of( $always->id ) );
	}

	/**
	 * The worker's Run, once it satisfies $until (a hang guard, not a speed check).
	 *
	 * @param string   $run_id The run.
	 * @param callable $until  Takes the Run, says whether to stop waiting.
	 * @return array<string, mixed>
	 */
	private function wait_for_run( string $run_id, callable $until ): array {
		$give_up = microtime( true ) + self::RUN_WAIT_SECONDS;
		while ( true ) {
			$run = Worker\get_run( $run_id );
			$this->assertIsArray( $run, is_wp_error( $run ) ? $run->get_error_message() : '' );
			if ( $until( $run ) ) {
				return $run;
			}
			if ( microtime( true ) > $give_up ) {
				$this->fail( "The worker's run did not get there; it is {$run['state']}." );
			}
			usleep( 100000 );
		}
	}

	public function test_a_callback_that_arrives_while_the_run_is_being_collected_leads_to_a_collection(): void {
		// The second item carries only a summary, and its page answers after 3 s: the worker has the first
		// draft ready while it still works on the second.
		$feed = self::create_feed(
			array(
				'url'         => self::origin( '/gen/owed.xml?items=2&slow_last=3' ),
				'post_status' => 'publish',
			)
		);
		$run_id = Runs\dispatch( $feed )['run_id'];
		$this->wait_for_run( $run_id, static fn( array $run ): bool => 1 === count( $run['drafts'] ) );
		$answers  = array();
		$callback = function () use ( &$answers, $run_id ): void {
			if ( $answers ) {
				return;
			}
			// While this collection imports the first draft, the worker finishes the run and calls back.
			$this->wait_for_run( $run_id, static fn( array $run ): bool => 'done' === $run['state'] );
			$body      = self::callback_body( $run_id );
			$answers[] = self::post_callback( $body, self::callback_headers( $body, time(), self::env( 'ATAI_TEST_WORKER_SECRET' ) ) )->get_data();
		};
		add_action( 'wp_insert_post', $callback );

		$result = Runs\collect( Feeds\get( $feed->id ), microtime( true ) + 60 );
		remove_action( 'wp_insert_post', $callback );

		// The callback found the run being collected, and left it owed to that collection ...
		$this->assertCount( 1, $answers );
		$this->assertTrue( Contract\validate( 'CallbackResult', $answers[0], 'body' ) );
		$this->assertSame( array( false, true ), array( $answers[0]['collected'], $answers[0]['owed'] ) );
		// ... which collected again before it returned: both posts, the run closed.
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertTrue( $result['finished'] );
		$this->assertCount( 2, self::posts_of( $feed->id ) );
		$this->assertNull( Feeds\get( $feed->id )->run_id );
		$this->assertSame( 'done', Feeds\get( $feed->id )->last_status );
	}
}
