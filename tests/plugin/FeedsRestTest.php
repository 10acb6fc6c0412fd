<?php
/**
 * Feeds through the REST API: create, read, update, delete, run now, items, validation messages.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Clock;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;

/**
 * /wp-json/atai/v1/feeds as an administrator.
 */
final class FeedsRestTest extends RestTestCase {

	protected function setUp(): void {
		parent::setUp();
		self::act_as( 'administrator' );
	}

	public function test_an_administrator_adds_a_feed_that_is_due_at_once_with_the_defaults(): void {
		$response = self::request( 'POST', 'feeds', array( 'url' => 'https://news.example.org/rss' ) );

		$this->assertSame( 201, $response->get_status(), self::error_text( $response ) );
		$feed = $response->get_data();
		$this->assertSame( 'https://news.example.org/rss', $feed['url'] );
		$this->assertSame( 'active', $feed['status'] );
		$this->assertSame( 'draft', $feed['post_status'] );
		$this->assertSame( get_current_user_id(), $feed['author'] );
		$this->assertSame( (int) get_option( 'default_category' ), $feed['category'] );
		$this->assertSame( 10, $feed['max_posts'] );
		$this->assertSame( 'hourly', $feed['interval'] );
		$this->assertLessThanOrEqual( time(), strtotime( $feed['next_run'] ) );
		$this->assertNull( $feed['last_run'] );
		$this->assertNull( $feed['last_error'] );
		$this->assertNull( $feed['current_run'] );
		$this->assertSame( 0, $feed['posts_made'] );
		$this->assertContains( $feed['id'], array_column( Runs\due_feeds(), 'id' ) );
	}

	/**
	 * Feed URLs that are not http or https web addresses.
	 *
	 * @return array<string, array{0: string}>
	 */
	public function not_web_addresses(): array {
		return array(
			'ftp'        => array( 'ftp://news.example.org/feed' ),
			'javascript' => array( 'javascript:alert(1)' ),
			'no scheme'  => array( 'news.example.org/feed' ),
			'words'      => array( 'my favourite blog' ),
			'empty'      => array( '' ),
		);
	}

	/**
	 * @dataProvider not_web_addresses
	 */
	public function test_a_feed_url_that_is_not_an_http_address_is_refused_with_a_message_naming_the_field( string $url ): void {
		$response = self::request( 'POST', 'feeds', array( 'url' => $url ) );

		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'rest_invalid_param', $response->get_data()['code'] );
		$this->assertStringContainsString( 'url', $response->get_data()['message'] );
		$this->assertStringStartsWith( 'Feed URL: enter the feed\'s address, starting with http:// or https://', $response->get_data()['data']['params']['url'] );
		$this->assertSame( 0, Feeds\count_all() );
	}

	public function test_a_feed_without_url_is_refused(): void {
		$response = self::request( 'POST', 'feeds', array( 'max_posts' => 5 ) );

		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( 'url', self::error_text( $response ) );
	}

	public function test_the_same_feed_url_cannot_be_added_twice(): void {
		$first = self::request( 'POST', 'feeds', array( 'url' => 'https://news.example.org/rss' ) );

		$second = self::request( 'POST', 'feeds', array( 'url' => 'https://news.example.org/rss' ) );

		$this->assertSame( 400, $second->get_status() );
		$this->assertStringContainsString( 'already added as "https://news.example.org/rss" (feed #' . $first->get_data()['id'] . ', ', self::error_text( $second ) );
	}

	public function test_numbers_intervals_statuses_and_authors_are_checked_with_messages_in_words(): void {
		$subscriber = self::create_user( 'subscriber' );
		$cases      = array(
			array( 'max_posts', 0, 'Maximum posts per run: enter a whole number from 1 to 100.' ),
			array( 'max_posts', 101, 'Maximum posts per run: enter a whole number from 1 to 100.' ),
			array( 'interval', 'weekly', 'Check interval: choose one of the offered intervals.' ),
			array( 'post_status', 'future', 'post_status' ),
			array( 'author', $subscriber, 'Author: this user cannot write posts; choose an author, editor or administrator.' ),
			array( 'category', 999999, 'Category: choose an existing category.' ),
		);
		foreach ( $cases as list( $field, $value, $message ) ) {
			$response = self::request(
				'POST',
				'feeds',
				array(
					'url'  => 'https://news.example.org/' . $field,
					$field => $value,
				)
			);
			$this->assertSame( 400, $response->get_status(), $field );
			$this->assertStringContainsString( $message, self::error_text( $response ), $field );
		}
		$this->assertSame( 0, Feeds\count_all() );
	}

	public function test_embeds_are_off_for_a_new_feed_and_the_site_owner_can_turn_them_on_and_off(): void {
		$id = self::request( 'POST', 'feeds', array( 'url' => 'https://news.example.org/embeds' ) )->get_data()['id'];

		$created = self::request( 'GET', "feeds/$id" );
		$on      = self::request( 'PATCH', "feeds/$id", array( 'embeds' => true ) );
		$unclear = self::request( 'PATCH', "feeds/$id", array( 'embeds' => 'sometimes' ) );
		$off     = self::request( 'PATCH', "feeds/$id", array( 'embeds' => false ) );

		$this->assertFalse( $created->get_data()['embeds'] );
		$this->assertTrue( $on->get_data()['embeds'] );
		$this->assertSame( 400, $unclear->get_status() );
		$this->assertStringContainsString( 'Embeds: choose on or off.', self::error_text( $unclear ) );
		$this->assertFalse( $off->get_data()['embeds'] );
		$this->assertFalse( Feeds\get( $id )->options['embeds'] );
	}

	public function test_a_feed_is_read_changed_and_deleted(): void {
		$category = wp_insert_term( 'Harbour', 'category' )['term_id'];
		$id       = self::request( 'POST', 'feeds', array( 'url' => 'https://news.example.org/rss' ) )->get_data()['id'];

		$read    = self::request( 'GET', "feeds/$id" );
		$patched = self::request(
			'PATCH',
			"feeds/$id",
			array(
				'title'       => 'Harbour <b>News</b>',
				'post_status' => 'publish',
				'category'    => $category,
				'max_posts'   => 25,
				'interval'    => '6hours',
				'status'      => 'paused',
			)
		);
		$deleted = self::request( 'DELETE', "feeds/$id" );
		$gone    = self::request( 'GET', "feeds/$id" );

		$this->assertSame( 200, $read->get_status() );
		$this->assertSame( 'https://news.example.org/rss', $read->get_data()['url'] );
		$this->assertSame( 200, $patched->get_status(), self::error_text( $patched ) );
		$this->assertSame( 'Harbour News', $patched->get_data()['title'] );
		$this->assertSame( 'publish', $patched->get_data()['post_status'] );
		$this->assertSame( $category, $patched->get_data()['category'] );
		$this->assertSame( 25, $patched->get_data()['max_posts'] );
		$this->assertSame( '6hours', $patched->get_data()['interval'] );
		$this->assertSame( 'paused', $patched->get_data()['status'] );
		$this->assertSame( 'https://news.example.org/rss', $patched->get_data()['url'] );
		$this->assertSame( 200, $deleted->get_status() );
		$this->assertTrue( $deleted->get_data()['deleted'] );
		$this->assertSame( 404, $gone->get_status() );
		$this->assertSame( 'atai_feed_not_found', $gone->get_data()['code'] );
	}

	public function test_the_feed_list_shows_last_run_next_run_last_error_posts_made_and_current_run(): void {
		$feed = self::create_feed();
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $feed->id, 'a' ), Contract_Fixtures::draft( $feed->id, 'b' ) ) );
		$run_id = Contract_Fixtures::run_id();
		self::set_feed_columns(
			$feed->id,
			array(
				'last_run_at'     => '2024-03-05 10:00:00',
				'last_status'     => 'failed',
				'last_error_code' => 'fetch_failed',
				'last_error'      => 'fetch: got 404 from https://news.example.org/feed.xml',
				'run_id'          => $run_id,
				'run_started_at'  => '2024-03-05 10:05:00',
			)
		);

		$response = self::request( 'GET', 'feeds' );

		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( '1', $response->get_headers()['X-WP-Total'] );
		$listed = $response->get_data()[0];
		$this->assertSame( '2024-03-05T10:00:00Z', $listed['last_run'] );
		$this->assertSame( 'failed', $listed['last_status'] );
		$this->assertSame(
			array(
				'code'    => 'fetch_failed',
				'message' => 'fetch: got 404 from https://news.example.org/feed.xml',
			),
			$listed['last_error']
		);
		$this->assertSame( 2, $listed['posts_made'] );
		$this->assertSame( $run_id, $listed['current_run'] );
		$this->assertSame( '2024-03-05T10:05:00Z', $listed['run_started'] );
		$this->assertNotNull( $listed['next_run'] );
	}

	public function test_run_now_answers_409_while_a_run_is_in_progress(): void {
		$feed = self::set_feed_columns( self::create_feed()->id, array( 'run_id' => Contract_Fixtures::run_id() ) );

		$response = self::request( 'POST', "feeds/{$feed->id}/run" );

		$this->assertSame( 409, $response->get_status() );
		$this->assertSame( 'atai_run_in_progress', $response->get_data()['code'] );
		$this->assertStringContainsString( 'already has a run in progress', $response->get_data()['message'] );
	}

	public function test_run_now_with_an_unreachable_worker_answers_the_error_in_words_and_leaves_the_feed_due(): void {
		$url = 'http://127.0.0.1:' . Local_Server::free_port();
		self::use_worker( $url );
		$feed = self::create_feed();

		$response = self::request( 'POST', "feeds/{$feed->id}/run" );

		$this->assertSame( 502, $response->get_status() );
		$this->assertStringStartsWith( "Could not reach the worker at $url: connection refused", $response->get_data()['message'] );
		$this->assertNull( Feeds\get( $feed->id )->run_id );
		$this->assertContains( $feed->id, array_column( Runs\due_feeds(), 'id' ) );
	}

	public function test_run_now_for_an_unknown_feed_is_404(): void {
		$this->assertSame( 404, self::request( 'POST', 'feeds/999999/run' )->get_status() );
	}

	public function test_the_items_route_lists_state_post_attempts_and_error(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'listed' );
		$error = Contract_Fixtures::item_error( $feed->id, 'listed-error' );
		$post  = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );

		$response = self::request( 'GET', "feeds/{$feed->id}/items" );

		$this->assertSame( 200, $response->get_status() );
		$items = array_column( $response->get_data(), null, 'key' );
		$this->assertSame( 'posted', $items[ $draft['key'] ]['state'] );
		$this->assertSame( $post, $items[ $draft['key'] ]['post_id'] );
		$this->assertSame( get_permalink( $post ), $items[ $draft['key'] ]['post_link'] );
		$this->assertNull( $items[ $draft['key'] ]['error'] );
		$this->assertSame( 'failed', $items[ $error['key'] ]['state'] );
		$this->assertSame( 1, $items[ $error['key'] ]['attempts'] );
		$this->assertFalse( $items[ $error['key'] ]['failed_for_good'] );
		$this->assertSame(
			array(
				'code'    => 'extract_failed',
				'message' => $error['message'],
			),
			$items[ $error['key'] ]['error']
		);
	}

	public function test_the_items_route_says_when_an_item_waits_to_be_tried_again_and_why(): void {
		$feed  = self::create_feed();
		$error = Contract_Fixtures::passing_error( $feed->id, 'rate-limited', 10 * MINUTE_IN_SECONDS );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );

		$response = self::request( 'GET', "feeds/{$feed->id}/items" );

		[ $item ] = $response->get_data();
		$at       = Clock\timestamp( Ledger\get( $error['key'] )['retry_at'] );
		$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $at ), $item['retry_at'] );
		$this->assertSame( 'Waiting to retry at ' . wp_date( get_option( 'time_format' ), $at ) . ' (rate limited by the model)', $item['waiting'] );
		$this->assertFalse( $item['failed_for_good'] );
	}

	public function test_deleting_a_feed_removes_its_ledger_but_keeps_its_posts(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'kept' );
		$post  = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];

		$response = self::request( 'DELETE', "feeds/{$feed->id}" );

		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 1, $response->get_data()['previous']['posts_made'] );
		$this->assertNull( Ledger\get( $draft['key'] ) );
		$this->assertInstanceOf( \WP_Post::class, get_post( $post ) );
	}
}
