<?php
/**
 * Runs: the request sent to the worker, what happens when it cannot be reached or lost the run,
 * processing a Run, and closing a finished run on its feed.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Clock;
use ATAI\Contract;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;
use ATAI\Settings;

/**
 * Runs as the tick and the callback drive them.
 */
final class RunsTest extends TestCase {

	/**
	 * Canned HTTP answers (tests/plugin/fixtures/worker-responses.php).
	 *
	 * @var Local_Server
	 */
	private static Local_Server $server;

	public static function setUpBeforeClass(): void {
		self::$server = Local_Server::start( 'worker-responses.php' );
	}

	public static function tearDownAfterClass(): void {
		self::$server->stop();
	}

	/**
	 * A feed whose current run is $run_id.
	 *
	 * @param string               $run_id  The run.
	 * @param array<string, mixed> $columns More columns to set.
	 * @param int|null             $feed_id An existing feed, or null for a new one.
	 */
	private static function feed_with_run( string $run_id, array $columns = array(), ?int $feed_id = null ): Feed {
		return self::set_feed_columns(
			$feed_id ?? self::create_feed()->id,
			$columns + array(
				'run_id'         => $run_id,
				'run_started_at' => Clock\utc( -120 ),
				'next_run_at'    => Clock\utc( 3000 ),
			)
		);
	}

	public function test_the_run_request_matches_the_contract_and_carries_the_feed_and_its_seen_keys(): void {
		$feed = self::create_feed( array( 'max_posts' => 7 ) );
		$feed = self::set_feed_columns(
			$feed->id,
			array(
				'etag'          => '"v1"',
				'last_modified' => 'Tue, 05 Mar 2024 09:30:00 GMT',
			)
		);
		$draft = Contract_Fixtures::draft( $feed->id, 'seen' );
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) );

		$request = Runs\run_request( $feed );

		$this->assertTrue( Contract\validate( 'RunRequest', $request ) );
		$this->assertSame(
			array(
				'id'            => $feed->id,
				'url'           => $feed->url,
				'etag'          => '"v1"',
				'last_modified' => 'Tue, 05 Mar 2024 09:30:00 GMT',
			),
			$request['feed']
		);
		$this->assertSame( 7, $request['max_items'] );
		$this->assertSame( array( $draft['key'] ), $request['seen_keys'] );
		$this->assertSame( rest_url( 'atai/v1/worker/callback' ), $request['callback_url'] );
	}

	public function test_the_run_request_sends_only_the_ai_settings_set_in_wordpress(): void {
		$feed = self::create_feed();

		$this->assertSame( array( 'enabled' => true ), Runs\run_request( $feed )['ai'] );

		update_option( Settings\AI_ENABLED, false );
		update_option( Settings\AI_BASE_URL, 'http://127.0.0.1:11434/v1' );
		update_option( Settings\AI_API_KEY, 'sk-local', false );
		update_option( Settings\AI_MODEL, 'llama3.1' );
		update_option( Settings\AI_MAX_IN_FLIGHT, 4 );
		$request = Runs\run_request( $feed );

		$this->assertSame(
			array(
				'enabled'       => false,
				'base_url'      => 'http://127.0.0.1:11434/v1',
				'api_key'       => 'sk-local',
				'model'         => 'llama3.1',
				'max_in_flight' => 4,
			),
			$request['ai']
		);
		$this->assertTrue( Contract\validate( 'RunRequest', $request ) );
	}

	public function test_the_run_request_drops_the_validators_while_retryable_failures_wait(): void {
		$feed = self::set_feed_columns( self::create_feed()->id, array( 'etag' => '"v1"' ) );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::item_error( $feed->id, 'retry-me' ) ) );

		$this->assertArrayNotHasKey( 'etag', Runs\run_request( $feed )['feed'] );
	}

	public function test_the_run_request_drops_the_validators_after_a_run_deferred_entries(): void {
		$feed = self::set_feed_columns(
			self::create_feed()->id,
			array(
				'etag'             => '"v1"',
				'last_modified'    => 'Tue, 05 Mar 2024 09:30:00 GMT',
				'entries_deferred' => 4,
			)
		);

		$request = Runs\run_request( $feed );

		$this->assertArrayNotHasKey( 'etag', $request['feed'] );
		$this->assertArrayNotHasKey( 'last_modified', $request['feed'] );
	}

	public function test_a_dispatch_the_worker_cannot_take_releases_the_feed_and_leaves_it_due_with_the_error(): void {
		$url = 'http://127.0.0.1:' . Local_Server::free_port();
		self::use_worker( $url );
		$feed = self::create_feed();

		$result = Runs\dispatch( $feed );

		$this->assertSame( 'atai_worker_unreachable', $result->get_error_code() );
		$after = Feeds\get( $feed->id );
		$this->assertNull( $after->run_id );
		$this->assertSame( $feed->next_run_at, $after->next_run_at );
		$this->assertStringStartsWith( "Could not reach the worker at $url", $after->last_error );
		$this->assertSame( array( $feed->id ), array_column( Runs\due_feeds(), 'id' ) );
	}

	public function test_a_feed_with_a_run_in_progress_is_not_dispatched_again(): void {
		$feed = self::feed_with_run( Contract_Fixtures::run_id() );

		$result = Runs\dispatch( $feed );

		$this->assertSame( 'atai_run_in_progress', $result->get_error_code() );
		$this->assertSame( 409, $result->get_error_data()['status'] );
	}

	public function test_a_run_the_worker_lost_is_forgotten_and_the_feed_runs_again_at_once(): void {
		self::use_worker( self::$server->url( '/lost-run' ) );
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$queued = Contract_Fixtures::draft( $feed->id, 'queued-in-lost-run' );
		Ledger\record_planned( $feed->id, $run_id, array( Contract_Fixtures::planned( $queued, 'pending' ) ) );

		$result = Runs\collect( $feed, microtime( true ) + 10 );

		$this->assertSame( 'atai_worker_run_unknown', $result->get_error_code() );
		$after = Feeds\get( $feed->id );
		$this->assertNull( $after->run_id );
		$this->assertSame( 'failed', $after->last_status );
		$this->assertStringContainsString( "no longer knows run $run_id", $after->last_error );
		$this->assertContains( $feed->id, array_column( Runs\due_feeds(), 'id' ) );
		$this->assertNull( Ledger\get( $queued['key'] ) );
	}

	public function test_an_unreachable_worker_keeps_the_run_for_the_next_tick_and_shows_the_error(): void {
		$url = 'http://127.0.0.1:' . Local_Server::free_port();
		self::use_worker( $url );
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );

		$result = Runs\collect( $feed, microtime( true ) + 10 );

		$this->assertSame( 'atai_worker_unreachable', $result->get_error_code() );
		$after = Feeds\get( $feed->id );
		$this->assertSame( $run_id, $after->run_id );
		$this->assertStringStartsWith( "Could not reach the worker at $url", $after->last_error );
	}

	public function test_drafts_are_posted_once_even_when_the_acknowledgement_is_lost(): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$draft  = Contract_Fixtures::draft( $feed->id, 'ack-lost' );
		$error  = Contract_Fixtures::item_error( $feed->id, 'ack-lost-error' );
		$run    = Contract_Fixtures::run( $feed->id, $run_id, array( $draft ), array( $error ) );

		$first  = Runs\process_run( $feed, $run, microtime( true ) + 10 );
		$second = Runs\process_run( Feeds\get( $feed->id ), $run, microtime( true ) + 10 );

		$this->assertCount( 1, $first['posted'] );
		$this->assertSame( 'atai_worker_unreachable', $first['ack_error']->get_error_code() );
		$this->assertFalse( $first['finished'] );
		$this->assertSame( array( $draft['key'] ), $second['skipped'] );
		$this->assertSame( 1, Ledger\get( $error['key'] )['attempts'] );
		$after = Feeds\get( $feed->id );
		$this->assertSame( $run_id, $after->run_id, 'The run stays until the worker has the acknowledgement.' );
		$this->assertSame( 'atai_worker_unreachable', $after->last_error_code );
	}

	public function test_a_finished_run_records_last_run_validators_and_the_feed_title_and_clears_the_run(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$run    = Contract_Fixtures::run( $feed->id, $run_id );
		Ledger\record_planned( $feed->id, $run_id, array( Contract_Fixtures::planned( Contract_Fixtures::draft( $feed->id, 'never-handed-back' ), 'pending' ) ) );

		Runs\finish( $feed, $run );

		$after = Feeds\get( $feed->id );
		$this->assertNull( $after->run_id );
		$this->assertSame( 'done', $after->last_status );
		$this->assertSame( '', $after->last_error );
		$this->assertSame( '"v42"', $after->etag );
		$this->assertSame( 'Tue, 05 Mar 2024 09:30:00 GMT', $after->last_modified );
		$this->assertSame( 'Harbour News', $after->title );
		$this->assertEqualsWithDelta( time(), strtotime( $after->last_run_at . ' UTC' ), 5 );
		$this->assertNull( Ledger\get( Contract_Fixtures::key( $feed->id, 'never-handed-back' ) ) );
	}

	public function test_a_finished_run_keeps_a_title_the_site_owner_set(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id, array( 'title' => 'My harbour' ) );

		Runs\finish( $feed, Contract_Fixtures::run( $feed->id, $run_id ) );

		$this->assertSame( 'My harbour', Feeds\get( $feed->id )->title );
	}

	public function test_a_not_modified_run_keeps_the_stored_validators(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id, array( 'etag' => '"v1"' ) );
		$run    = Contract_Fixtures::run( $feed->id, $run_id );
		$run['feed']['not_modified'] = true;
		$run['feed']['etag']         = null;

		Runs\finish( $feed, $run );

		$this->assertSame( '"v1"', Feeds\get( $feed->id )->etag );
	}

	public function test_a_run_with_deferred_entries_stores_no_validators_and_the_next_request_fetches_in_full(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$run    = Contract_Fixtures::run( $feed->id, $run_id );
		$run['feed']['entries_deferred'] = 12;

		Runs\finish( $feed, $run );

		$after = Feeds\get( $feed->id );
		$this->assertNull( $after->etag );
		$this->assertSame( 12, $after->entries_deferred );
		$this->assertArrayNotHasKey( 'etag', Runs\run_request( $after )['feed'] );
	}

	/**
	 * A run of the feed that the worker says failed (the feed could not be read).
	 *
	 * @param Feed                 $feed    The feed, with its current run.
	 * @param string               $run_id  The run.
	 * @param string               $code    The worker's error code.
	 * @param string               $message The worker's message.
	 * @return array<string, mixed>
	 */
	private static function failed_run( Feed $feed, string $run_id, string $code, string $message ): array {
		return Contract_Fixtures::run(
			$feed->id,
			$run_id,
			array(),
			array(),
			array(
				'state' => 'failed',
				'feed'  => null,
				'error' => array(
					'code'    => $code,
					'message' => $message,
				),
			)
		);
	}

	public function test_a_failed_run_shows_the_workers_reason_and_keeps_the_validators(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id, array( 'etag' => '"v1"' ) );
		$run    = self::failed_run( $feed, $run_id, 'fetch_failed', 'fetch: got 404 from https://news.example.org/feed.xml' );

		Runs\finish( $feed, $run );

		$after = Feeds\get( $feed->id );
		$this->assertSame( 'failed', $after->last_status );
		$this->assertSame( 'fetch_failed', $after->last_error_code );
		$this->assertSame( 'fetch: got 404 from https://news.example.org/feed.xml', $after->last_error );
		$this->assertSame( '"v1"', $after->etag );
		$this->assertNull( $after->run_id );
	}

	public function test_a_feed_that_could_not_be_read_is_tried_again_at_the_next_tick_then_less_often(): void {
		$due_in = array();
		$feed   = self::create_feed(); // checked hourly
		for ( $attempt = 1; $attempt <= 8; ++$attempt ) {
			$run_id = Contract_Fixtures::run_id();
			$feed   = self::feed_with_run( $run_id, array(), $feed->id );
			Runs\finish( $feed, self::failed_run( $feed, $run_id, 'timeout', 'fetch: https://news.example.org/feed.xml did not answer within 20 s' ) );
			$feed     = Feeds\get( $feed->id );
			$due_in[] = (int) round( ( strtotime( $feed->next_run_at . ' UTC' ) - time() ) / MINUTE_IN_SECONDS );
		}
		$this->assertSame( array( 0, 1, 3, 7, 15, 31, 60, 60 ), $due_in );
		$this->assertSame( 8, $feed->failed_runs );

		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id, array(), $feed->id );
		Runs\finish( $feed, Contract_Fixtures::run( $feed->id, $run_id ) );
		$this->assertSame( 0, Feeds\get( $feed->id )->failed_runs );
	}

	public function test_a_done_run_with_failed_items_says_how_many_in_words(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$error  = Contract_Fixtures::item_error( $feed->id, 'one-failed' );
		Ledger\record_failures( $feed->id, $run_id, array( $error ) );

		Runs\finish( $feed, Contract_Fixtures::run( $feed->id, $run_id, array(), array( $error ) ) );

		$after = Feeds\get( $feed->id );
		$this->assertSame( 'done', $after->last_status );
		$this->assertSame( "1 item of the last run could not be imported; the feed's items list says why.", $after->last_error );
	}

	public function test_a_run_whose_time_budget_is_spent_imports_nothing_more_and_stays_open(): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$run    = Contract_Fixtures::run( $feed->id, $run_id, array( Contract_Fixtures::draft( $feed->id, 'late' ) ) );

		$result = Runs\process_run( $feed, $run, microtime( true ) - 1 );

		$this->assertSame( 1, $result['left'] );
		$this->assertSame( array(), $result['posted'] );
		$this->assertFalse( $result['finished'] );
		$this->assertSame( 'queued', Ledger\get( $run['drafts'][0]['key'] )['state'] );
	}

	/**
	 * Minutes from now until a UTC DATETIME, rounded.
	 */
	private static function minutes_until( ?string $datetime ): int {
		return (int) round( ( Clock\timestamp( (string) $datetime ) - time() ) / MINUTE_IN_SECONDS );
	}

	public function test_items_that_failed_for_a_reason_that_will_pass_bring_the_feed_back_soon_never_before_their_time(): void {
		$run_id  = Contract_Fixtures::run_id();
		$feed    = self::feed_with_run( $run_id ); // hourly: due again in 50 minutes
		$limited = Contract_Fixtures::passing_error( $feed->id, 'limited', 5 * MINUTE_IN_SECONDS );
		$busy    = Contract_Fixtures::passing_error( $feed->id, 'busy', 10, 'model_unavailable' );
		$run     = Contract_Fixtures::run( $feed->id, $run_id, array(), array( $limited, $busy ) );
		$this->assertTrue( Contract\validate( 'Run', $run ) );
		Ledger\record_failures( $feed->id, $run_id, $run['errors'] );

		Runs\finish( $feed, $run );

		// Retry-After of 5 minutes is kept; one of 10 s waits for the first backoff, a minute.
		$this->assertSame( 5, self::minutes_until( Ledger\get( $limited['key'] )['retry_at'] ) );
		$this->assertSame( 1, self::minutes_until( Ledger\get( $busy['key'] )['retry_at'] ) );
		// The feed runs again when the first of them is due, not at its interval.
		$this->assertSame( Ledger\get( $busy['key'] )['retry_at'], Feeds\get( $feed->id )->next_run_at );
		// Until then neither is sent to the worker; neither is given up.
		$this->assertEqualsCanonicalizing( array( $limited['key'], $busy['key'] ), Ledger\seen_keys( $feed->id, null ) );
		$this->assertFalse( Ledger\get( $limited['key'] )['failed_for_good'] );
	}

	public function test_an_item_that_keeps_failing_for_a_reason_that_will_pass_is_tried_less_often_but_not_given_up(): void {
		$feed    = self::create_feed(); // hourly
		$due_in  = array();
		$feed_in = array();
		for ( $attempt = 1; $attempt <= 6; ++$attempt ) {
			$run_id = Contract_Fixtures::run_id();
			$feed   = self::feed_with_run( $run_id, array( 'next_run_at' => Clock\utc( HOUR_IN_SECONDS ) ), $feed->id );
			$error  = Contract_Fixtures::passing_error( $feed->id, 'stubborn', 1 );
			Ledger\record_failures( $feed->id, $run_id, array( $error ) );
			Runs\finish( $feed, Contract_Fixtures::run( $feed->id, $run_id, array(), array( $error ) ) );
			$due_in[]  = self::minutes_until( Ledger\get( $error['key'] )['retry_at'] );
			$feed_in[] = self::minutes_until( Feeds\get( $feed->id )->next_run_at );
		}

		$this->assertSame( array( 1, 2, 4, 8, 16, 32 ), $due_in );
		$this->assertSame( array( 1, 2, 4, 8, 16, 32 ), $feed_in );
		$item = Ledger\get( $error['key'] );
		$this->assertSame( 6, $item['attempts'] );
		$this->assertFalse( $item['failed_for_good'] );
		$this->assertSame( 'Waiting to retry at ' . wp_date( get_option( 'time_format' ), Clock\timestamp( $item['retry_at'] ) ) . ' (rate limited by the model)', Ledger\retry_note( $item ) );

		// A failure that will not pass ends it, as any item's third failure does.
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::item_error( $feed->id, 'stubborn' ) ) );
		$this->assertTrue( Ledger\get( $error['key'] )['failed_for_good'] );
		$this->assertNull( Ledger\retry_note( Ledger\get( $error['key'] ) ) );
	}
}
