<?php
/**
 * "Run now" followed live: the progress of a run in words and figures, its REST route and who may read it,
 * the feed screen's run panel, and the Activity list with its filters.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Activity_List_Table;
use ATAI\Admin\Activity_Page;
use ATAI\Admin\Run_Panel;
use ATAI\Ledger;
use ATAI\Run_Log;
use ATAI\Run_Progress;
use ATAI\Runs;

/**
 * Runs are given as the worker would hand them over (Contract_Fixtures), imported by the real code.
 */
final class RunProgressTest extends RestTestCase {

	/**
	 * A feed whose run $run_id is at the worker.
	 */
	private static function running_feed( string $run_id ): \ATAI\Feed {
		$feed = self::create_feed( array( 'title' => 'Harbour News' ) );
		return self::set_feed_columns( $feed->id, array( 'run_id' => $run_id ) );
	}

	/**
	 * A Run at the worker: $pending entries still being worked on, $ready done, out of $new.
	 *
	 * @return array<string, mixed>
	 */
	private static function run_at_worker( \ATAI\Feed $feed, string $run_id, int $pending, int $ready, string $mode = 'ai' ): array {
		$items = array();
		for ( $i = 0; $i < $pending + $ready; $i++ ) {
			$items[] = Contract_Fixtures::planned( Contract_Fixtures::draft( $feed->id, "entry-$i" ), $i < $pending ? 'pending' : 'ready' );
		}
		$run                         = Contract_Fixtures::run( $feed->id, $run_id, array(), array(), array( 'state' => 'running' ) );
		$run['items']                = $items;
		$run['feed']['entries_new']  = $pending + $ready;
		$run['rewrite']['mode']      = $mode;
		return $run;
	}

	public function test_a_run_without_word_from_the_worker_is_queued(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::running_feed( $run_id );

		$progress = Run_Progress\progress( $feed, $run_id );

		$this->assertSame( 'queued', $progress['phase'] );
		$this->assertTrue( $progress['running'] );
	}

	public function test_a_run_not_fetched_yet_is_fetching(): void {
		$run_id      = Contract_Fixtures::run_id();
		$feed        = self::running_feed( $run_id );
		$run         = self::run_at_worker( $feed, $run_id, 0, 0 );
		$run['feed'] = null;
		Run_Progress\remember( $run );

		$this->assertSame( 'Fetching the feed…', Run_Progress\progress( $feed, $run_id )['message'] );
	}

	public function test_a_run_being_rewritten_says_which_entry_of_how_many(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::running_feed( $run_id );
		Run_Progress\remember( self::run_at_worker( $feed, $run_id, 3, 2 ) );

		$progress = Run_Progress\progress( $feed, $run_id );

		$this->assertSame( 'rewriting', $progress['phase'] );
		$this->assertSame( 'Rewriting 3 of 5…', $progress['message'] );
		$this->assertSame( array( 2, 5 ), array( $progress['done'], $progress['total'] ) );
	}

	public function test_with_ai_off_the_entries_are_extracted(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::running_feed( $run_id );
		Run_Progress\remember( self::run_at_worker( $feed, $run_id, 1, 0, 'original' ) );

		$this->assertSame( 'Extracting 1 of 1…', Run_Progress\progress( $feed, $run_id )['message'] );
	}

	public function test_a_finished_run_counts_posted_held_and_failed_items_and_lists_its_posts(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::create_feed( array( 'title' => 'Harbour News' ) );
		$drafts = array(
			Contract_Fixtures::draft( $feed->id, 'kept', array( 'title' => 'Cranes & quays' ) ),
			Contract_Fixtures::draft( $feed->id, 'held', array( 'hold' => true ) ),
		);
		Runs\import_drafts( $feed, $run_id, $drafts );
		Ledger\record_failures( $feed->id, $run_id, array( Contract_Fixtures::item_error( $feed->id, 'broken' ) ) );

		$progress = Run_Progress\progress( \ATAI\Feeds\get( $feed->id ), $run_id );

		$this->assertFalse( $progress['running'] );
		$this->assertSame( 'Finished: 1 posted, 1 held for review, 0 skipped, 1 failed.', $progress['message'] );
		$this->assertCount( 2, $progress['posts'] );
		$this->assertContains( 'Cranes & quays', array_column( $progress['posts'], 'title' ) );
		$this->assertContains( 'Pending', array_column( $progress['posts'], 'status' ) );
	}

	public function test_a_failed_run_says_why(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::create_feed();
		$run    = Contract_Fixtures::run(
			$feed->id,
			$run_id,
			array(),
			array(),
			array(
				'state' => 'failed',
				'error' => array(
					'code'    => 'not_a_feed',
					'message' => 'parse: the page is not a feed',
				),
			)
		);
		Run_Progress\remember( $run );

		$this->assertSame( 'The run failed: parse: the page is not a feed', Run_Progress\progress( $feed, $run_id )['message'] );
	}

	public function test_the_progress_route_answers_administrators_with_the_feeds_run(): void {
		self::act_as( 'administrator' );
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::running_feed( $run_id );
		Run_Progress\remember( self::run_at_worker( $feed, $run_id, 1, 1 ) );
		set_transient( Run_Progress\POLLED_PREFIX . $run_id, 1, 60 ); // collected a moment ago

		$response = self::request( 'GET', "feeds/{$feed->id}/progress" );

		$this->assertSame( 200, $response->get_status(), self::error_text( $response ) );
		$this->assertSame( $run_id, $response->get_data()['run_id'] );
		$this->assertSame( 'Rewriting 2 of 2…', $response->get_data()['message'] );
	}

	public function test_a_feed_without_a_run_has_no_progress_to_follow(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed();

		$response = self::request( 'GET', "feeds/{$feed->id}/progress" );

		$this->assertSame( 404, $response->get_status() );
		$this->assertSame( 'atai_no_run', $response->get_data()['code'] );
	}

	public function test_a_subscriber_and_a_visitor_are_refused_with_403_and_no_run_is_collected(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::running_feed( $run_id );

		foreach ( array( 'subscriber', 'editor', null ) as $role ) {
			$role ? self::act_as( $role ) : wp_set_current_user( 0 );
			$response = self::request( 'GET', "feeds/{$feed->id}/progress", array( 'run' => $run_id ) );
			$this->assertSame( 403, $response->get_status(), (string) $role );
		}
		$this->assertFalse( get_transient( Run_Progress\POLLED_PREFIX . $run_id ) );
		$this->assertSame( $run_id, \ATAI\Feeds\get( $feed->id )->run_id );
	}

	public function test_the_run_panel_has_working_buttons_without_javascript_and_a_live_region(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed( array( 'title' => 'Harbour News' ) );
		ob_start();
		Run_Panel\render( $feed );
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( 'role="status" aria-live="polite"', $html );
		$this->assertStringContainsString( 'action=atai_run_feed&#038;feed=' . $feed->id, $html );
		$this->assertStringContainsString( 'name="_wpnonce" value="' . wp_create_nonce( 'atai_run_feed_' . $feed->id ) . '"', $html );
		$this->assertStringContainsString( '>Pause</button>', $html );
		$this->assertStringContainsString( 'data-running="0"', $html );
	}

	public function test_activity_lists_every_items_outcome_and_filters_by_feed_and_outcome(): void {
		self::act_as( 'administrator' );
		require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-activity-list-table.php';
		set_current_screen( 'automationtools-ai_page_atai-activity' );
		$harbour = self::create_feed( array( 'title' => 'Harbour News' ) );
		$garden  = self::create_feed( array( 'title' => 'Garden Notes' ) );
		$run_id  = Contract_Fixtures::run_id();
		Runs\import_drafts( $harbour, $run_id, array( Contract_Fixtures::draft( $harbour->id, 'kept' ), Contract_Fixtures::draft( $harbour->id, 'held', array( 'hold' => true ) ) ) );
		Ledger\record_failures( $garden->id, $run_id, array( Contract_Fixtures::item_error( $garden->id, 'broken', array( 'message' => 'extract: the page <b>answered</b> 503' ) ) ) );

		$everything = self::activity( array() );
		$this->assertStringContainsString( 'Waiting for review', $everything );
		$this->assertStringContainsString( 'Failed, will be tried again', $everything );
		$this->assertStringContainsString( 'extract: the page &lt;b&gt;answered&lt;/b&gt; 503', $everything );
		$this->assertStringContainsString( '1 attempt so far; the next run tries again.', $everything );

		$held = self::activity( array( 'outcome' => 'held' ) );
		$this->assertSame( 1, substr_count( $held, "class='outcome column-outcome" ) );
		$this->assertStringNotContainsString( 'Failed, will', $held );

		$garden_only = self::activity( array( 'feed' => (string) $garden->id ) );
		$this->assertStringContainsString( 'Failed, will be tried again', $garden_only );
		$this->assertStringNotContainsString( 'Waiting for review</td>', $garden_only );

		$this->assertStringContainsString( 'Nothing happened that matches these filters.', self::activity( array( 'to' => '2001-01-01' ) ) );
	}

	public function test_activity_lists_every_run_of_every_feed_and_filters_by_feed_and_failure(): void {
		self::act_as( 'administrator' );
		$harbour = self::create_feed( array( 'title' => 'Harbour News' ) );
		$garden  = self::create_feed( array( 'title' => 'Garden Notes' ) );
		Run_Log\insert(
			$garden,
			array(
				'run_id'       => 'garden-run',
				'state'        => 'done',
				'fetch_result' => 'fetched',
				'entries_new'  => 3,
				'items_posted' => 3,
			)
		);
		Run_Log\insert(
			$harbour,
			array(
				'run_id'        => 'harbour-run',
				'state'         => 'failed',
				'fetch_result'  => 'failed',
				'http_status'   => 404,
				'error_message' => 'fetch: got 404 from <b>the harbour</b>.',
			)
		);

		$everything = self::activity_page( array( 'show' => 'runs' ) );
		$this->assertStringContainsString( '>Garden Notes</a></td>', $everything );
		$this->assertStringContainsString( '>Harbour News</a></td>', $everything );
		$this->assertStringContainsString( 'Failed (HTTP 404)<br /><small class="atai-error">fetch: got 404 from &lt;b&gt;the harbour&lt;/b&gt;.</small>', $everything );
		$this->assertStringContainsString( 'aria-current="page">Runs</a>', $everything );

		$failed = self::activity_page( array( 'show' => 'runs', 'outcome' => 'failed' ) );
		$this->assertStringContainsString( '>Harbour News</a></td>', $failed );
		$this->assertStringNotContainsString( '>Garden Notes</a></td>', $failed );

		$garden_only = self::activity_page( array( 'show' => 'runs', 'feed' => (string) $garden->id ) );
		$this->assertStringContainsString( '<td class="column-posted">3</td>', $garden_only );
		$this->assertStringNotContainsString( 'HTTP 404', $garden_only );

		$this->assertStringContainsString( 'No run matches these filters.', self::activity_page( array( 'show' => 'runs', 'to' => '2001-01-01' ) ) );
	}

	/**
	 * The whole Activity screen's HTML with these query arguments.
	 *
	 * @param array<string, string> $query Query arguments.
	 */
	private static function activity_page( array $query ): string {
		$_GET = $query;
		set_current_screen( 'automationtools-ai_page_atai-activity' );
		ob_start();
		Activity_Page\render();
		$_GET = array();
		return (string) ob_get_clean();
	}

	/**
	 * The Activity table's HTML with these filters.
	 *
	 * @param array<string, string> $filters Query arguments.
	 */
	private static function activity( array $filters ): string {
		$_GET  = $filters;
		$table = new Activity_List_Table();
		$table->prepare_items();
		ob_start();
		$table->display();
		$_GET = array();
		return (string) ob_get_clean();
	}
}
