<?php
/**
 * A feed's health: its state in words, what a failed, moved or gone feed's run changes, the run
 * history, the notices on every admin screen and their dismissal, the daily digest, and active dates.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Health_Notices;
use ATAI\Clock;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Health;
use ATAI\Health_Digest;
use ATAI\Ledger;
use ATAI\Run_Log;
use ATAI\Runs;
use ATAI\Settings;

/**
 * Health as the site owner meets it, from runs the worker reports (contract-shaped fixtures).
 */
final class HealthTest extends TestCase {

	/**
	 * A feed holding a run, started two minutes ago.
	 *
	 * @param array<string, mixed> $columns More columns.
	 * @param int|null             $feed_id An existing feed, or a new one.
	 */
	private static function running( array $columns = array(), ?int $feed_id = null ): Feed {
		return self::set_feed_columns(
			$feed_id ?? self::create_feed()->id,
			$columns + array(
				'run_id'         => Contract_Fixtures::run_id(),
				'run_started_at' => Clock\utc( -120 ),
				'next_run_at'    => Clock\utc( 3000 ),
			)
		);
	}

	/**
	 * The feed's run failing with a fetch error.
	 *
	 * @param Feed                 $feed  The feed, holding its run.
	 * @param array<string, mixed> $error The Run's error.
	 */
	private static function fail_run( Feed $feed, array $error ): Feed {
		$run = Contract_Fixtures::run(
			$feed->id,
			$feed->run_id,
			array(),
			array(),
			array(
				'state' => 'failed',
				'feed'  => null,
				'error' => $error + array(
					'code'    => 'http_error',
					'message' => 'fetch: got ' . ( $error['status'] ?? 500 ) . ' from ' . $feed->url,
				),
			)
		);
		Runs\finish( $feed, $run );
		return Feeds\get( $feed->id );
	}

	/**
	 * What the admin notices print on a screen.
	 */
	private static function notices(): string {
		ob_start();
		Health_Notices\render();
		return (string) ob_get_clean();
	}

	public function test_a_feed_is_active_paused_failing_or_gone_in_words(): void {
		$active  = self::create_feed();
		$paused  = self::create_feed( array( 'status' => 'paused' ) );
		$failing = self::fail_run( self::running(), array( 'status' => 500 ) );
		$gone    = self::fail_run( self::running(), array( 'status' => 410 ) );

		$this->assertSame( array( 'active', 'Active', '' ), array( Health\state( $active ), Health\label( 'active' ), Health\summary( $active ) ) );
		$this->assertSame( array( 'paused', 'Paused' ), array( Health\state( $paused ), Health\label( 'paused' ) ) );
		$this->assertSame( array( 'failing', 'Failing' ), array( Health\state( $failing ), Health\label( 'failing' ) ) );
		$this->assertSame( array( 'gone', 'Gone' ), array( Health\state( $gone ), Health\label( 'gone' ) ) );
		$this->assertMatchesRegularExpression(
			'/^Failing since .+ \(\d+ (sec|second)s?\): fetch: got 500 from https:\/\/news\.example\.org\/\S+\. Next try at the next check, after 1 failed run\.$/',
			Health\summary( $failing )
		);
		$this->assertStringContainsString( 'The site has a problem on its side.', Health\advice( $failing ) );
	}

	public function test_failing_starts_with_the_first_failed_run_and_ends_with_a_done_one(): void {
		$feed  = self::fail_run( self::running(), array( 'status' => 503 ) );
		$since = $feed->failing_since;
		self::set_feed_columns( $feed->id, array( 'failing_since' => Clock\utc( -7200 ) ) );

		$again = self::fail_run( self::running( array(), $feed->id ), array( 'status' => 503 ) );
		$this->assertNotNull( $since );
		$this->assertSame( Clock\utc( -7200 ), $again->failing_since, 'A second failure keeps the start of the streak.' );
		$this->assertSame( 2, $again->failed_runs );
		$this->assertSame( 503, $again->last_http_status );

		$back = self::running( array(), $feed->id );
		Runs\finish( $back, Contract_Fixtures::run( $feed->id, $back->run_id ) );
		$after = Feeds\get( $feed->id );
		$this->assertSame( array( 'active', null, 0, 0 ), array( Health\state( $after ), $after->failing_since, $after->failed_runs, $after->last_http_status ) );
	}

	public function test_a_404_says_to_check_the_address_or_find_the_feed_again(): void {
		$feed = self::fail_run( self::running(), array( 'status' => 404 ) );

		$this->assertSame( 'The address answers 404 (not found): check it in a browser, or find the feed again from the site\'s address.', Health\advice( $feed ) );
		$this->assertSame( Health\advice( $feed ), $feed->to_rest( 0 )['health']['advice'] );
	}

	public function test_a_retry_after_is_honoured_up_to_a_week(): void {
		$asked = self::fail_run( self::running(), array( 'status' => 429, 'retry_after' => 7200 ) );
		$greedy = self::fail_run( self::running(), array( 'status' => 503, 'retry_after' => 90 * DAY_IN_SECONDS ) );

		$this->assertEqualsWithDelta( time() + 7200, Clock\timestamp( $asked->next_run_at ), 5 );
		$this->assertEqualsWithDelta( time() + WEEK_IN_SECONDS, Clock\timestamp( $greedy->next_run_at ), 5 );
		$this->assertStringContainsString( 'Next try in 2 hours', Health\summary( $asked ) );
		$this->assertStringContainsString( 'the next try waits as long as it asked', Health\advice( $asked ) );
	}

	public function test_a_feed_that_is_gone_is_paused_with_a_note(): void {
		$feed = self::fail_run( self::running(), array( 'status' => 410 ) );

		$this->assertSame( 'paused', $feed->status );
		$this->assertStringStartsWith( 'Paused on ', $feed->note );
		$this->assertStringContainsString( 'answers 410 (gone for good)', $feed->note );
		$this->assertSame( 'gone', $feed->to_rest( 0 )['health']['state'] );
		$this->assertSame( $feed->note, $feed->to_rest( 0 )['note'] );
		$this->assertNotContains( $feed->id, array_map( static fn( Feed $due ) => $due->id, Runs\due_feeds() ) );
	}

	public function test_a_feed_that_moved_for_good_gets_its_new_address_with_a_note(): void {
		$feed  = self::running();
		$moved = 'https://feeds.example.org/harbour-' . wp_generate_password( 6, false ) . '.xml';
		$run   = Contract_Fixtures::run( $feed->id, $feed->run_id );
		$run['feed']['permanent_redirect'] = $moved;

		Runs\finish( $feed, $run );

		$after = Feeds\get( $feed->id );
		$this->assertSame( $moved, $after->url );
		$this->assertStringContainsString( 'moved for good from ' . $feed->url . ' to ' . $moved . '; its address was changed', $after->note );

		Runs\clear_note( $feed->id );
		$this->assertSame( '', Feeds\get( $feed->id )->note );
	}

	public function test_a_feed_that_moved_to_another_feeds_address_keeps_its_own(): void {
		$other = self::create_feed();
		$feed  = self::running();
		$run   = Contract_Fixtures::run( $feed->id, $feed->run_id );
		$run['feed']['permanent_redirect'] = $other->url;

		Runs\finish( $feed, $run );

		$after = Feeds\get( $feed->id );
		$this->assertSame( $feed->url, $after->url );
		$this->assertStringContainsString( 'which is already feed #' . $other->id . '; this feed\'s address was left as it is', $after->note );
	}

	public function test_every_run_is_in_the_history_with_what_became_of_its_items(): void {
		$feed    = self::running();
		$run_id  = $feed->run_id;
		$draft   = Contract_Fixtures::draft( $feed->id, 'posted-one' );
		$held    = Contract_Fixtures::draft( $feed->id, 'held-one', array( 'hold' => true ) );
		$error   = Contract_Fixtures::item_error( $feed->id, 'failed-one' );
		$skipped = Contract_Fixtures::skipped( $feed->id, 'skipped-one' );
		$run     = Contract_Fixtures::run( $feed->id, $run_id, array( $draft, $held ), array( $error ), array( 'skipped' => array( $skipped ) ) );
		$run['feed']['entries_new'] = 4;

		// What collecting the run does, without the acknowledgement to a worker.
		Ledger\record_planned( $feed->id, $run_id, $run['items'] );
		Runs\import_drafts( $feed, $run_id, $run['drafts'] );
		Ledger\record_failures( $feed->id, $run_id, $run['errors'] );
		Ledger\record_skipped( $feed->id, $run_id, $run['skipped'] );
		Runs\finish( $feed, $run );
		$lost = self::running( array(), $feed->id );
		Runs\forget_run( $lost, new \WP_Error( 'atai_worker_run_unknown', 'The worker no longer knows the run.' ) );

		[ $newest, $first ] = Run_Log\recent( $feed->id );
		$this->assertSame( array( 'done', 'fetched', 4, 1, 1, 1, 1 ), array( $first['state'], $first['fetch_result'], $first['entries_new'], $first['items_skipped'], $first['items_posted'], $first['items_held'], $first['items_failed'] ) );
		$this->assertEqualsWithDelta( 120, $first['duration'], 5 );
		$this->assertSame( array( 'lost', 'The worker no longer knows the run.' ), array( $newest['state'], $newest['error_message'] ) );
		$this->assertSame( 'skipped', Ledger\get( $skipped['key'] )['state'] );
		$this->assertSame( $skipped['reason'], Ledger\get( $skipped['key'] )['error_message'] );
	}

	public function test_the_feed_screen_shows_the_state_the_advice_the_note_and_the_run_history(): void {
		self::act_as( 'administrator' );
		$feed = self::fail_run( self::running(), array( 'status' => 404 ) );
		$feed = self::set_feed_columns( $feed->id, array( 'note' => 'On Tuesday the feed moved.' ) );

		ob_start();
		Feeds_Page\render_form( $feed );
		$html = (string) ob_get_clean();

		$this->assertMatchesRegularExpression( '~<strong>Status:</strong> <span class="atai-state atai-state-failing">Failing</span> — Failing since ~', $html );
		$this->assertStringContainsString( '<strong>What to do:</strong> The address answers 404 (not found)', $html );
		$this->assertStringContainsString( 'On Tuesday the feed moved. <a href="', $html );
		$this->assertStringContainsString( 'action=' . Health_Notices\CLEAR_NOTE_ACTION, $html );
		$this->assertStringContainsString( '<h2>Run history</h2>', $html );
		$this->assertMatchesRegularExpression( '~<td class="column-fetch">Failed \(HTTP 404\)<br /><small class="atai-error">fetch: got 404 from ~', $html );
	}

	public function test_the_feeds_list_shows_each_state_in_words(): void {
		self::act_as( 'administrator' );
		self::fail_run( self::running(), array( 'status' => 410 ) );
		self::fail_run( self::running(), array( 'status' => 500 ) );
		$_GET = array( 'page' => Feeds_Page\SLUG );

		ob_start();
		Feeds_Page\render_list();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( '<strong class="atai-state atai-state-gone">Gone</strong>', $html );
		$this->assertStringContainsString( '<strong class="atai-state atai-state-failing">Failing</strong><br /><span class="atai-state-summary">Failing since ', $html );
	}

	public function test_a_feed_failing_for_more_than_a_day_is_a_notice_on_every_screen_until_dismissed(): void {
		self::act_as( 'administrator' );
		$recent = self::fail_run( self::running(), array( 'status' => 500 ) );
		$long   = self::fail_run( self::running(), array( 'status' => 500 ) );
		self::set_feed_columns( $long->id, array( 'failing_since' => Clock\utc( -2 * DAY_IN_SECONDS ) ) );

		$html = self::notices();

		$this->assertStringContainsString( 'has been failing for 2 days: fetch: got 500 from ' . $long->url, $html );
		$this->assertStringNotContainsString( $recent->url, $html );
		$this->assertStringContainsString( 'action=edit&#038;feed=' . $long->id, $html );
		[ $incident ] = Health\incidents();

		Health_Notices\dismiss( $incident['id'] );
		$this->assertStringNotContainsString( $long->url, self::notices() );

		// A new streak of failures is a new incident.
		self::set_feed_columns( $long->id, array( 'failing_since' => Clock\utc( -3 * DAY_IN_SECONDS ) ) );
		$this->assertStringContainsString( 'has been failing for 3 days', self::notices() );
	}

	public function test_notices_are_for_administrators_only(): void {
		$long = self::fail_run( self::running(), array( 'status' => 500 ) );
		self::set_feed_columns( $long->id, array( 'failing_since' => Clock\utc( -2 * DAY_IN_SECONDS ) ) );
		self::act_as( 'editor' );

		$this->assertSame( '', self::notices() );
	}

	public function test_a_gone_feed_is_a_notice_too(): void {
		self::act_as( 'administrator' );
		$gone = self::fail_run( self::running(), array( 'status' => 410 ) );

		$this->assertStringContainsString( 'is gone: its address answers 410, so it was paused', self::notices() );
		$this->assertSame( 'gone', Health\incidents()[0]['kind'] );
		$this->assertSame( $gone->id, Health\incidents()[0]['feed']->id );
	}

	public function test_a_feed_not_run_for_twice_its_interval_says_that_wp_cron_does_not_run(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed( array( 'interval' => '15min' ) );
		self::set_feed_columns(
			$feed->id,
			array(
				'last_run_at' => Clock\utc( -3 * HOUR_IN_SECONDS ),
				'next_run_at' => Clock\utc( -3 * HOUR_IN_SECONDS + 15 * MINUTE_IN_SECONDS ),
			)
		);
		update_option( Health\LAST_TICK_OPTION, time() - 3 * HOUR_IN_SECONDS );

		$html = self::notices();

		$this->assertStringContainsString( 'has not run for 3 hours, though it is checked every 15 minutes. WP-Cron last ran the plugin&#039;s check 3 hours ago.', $html );
		$this->assertStringContainsString( 'have the system&#039;s cron call wp-cron.php every minute', $html );

		Health\tick_started();
		self::set_feed_columns( $feed->id, array( 'run_id' => Contract_Fixtures::run_id() ) );
		$this->assertStringContainsString( 'Its run at the worker has not come back', self::notices() );
	}

	public function test_a_feed_that_runs_on_time_or_waits_for_a_retry_after_is_no_incident(): void {
		self::create_feed();
		self::fail_run( self::running(), array( 'status' => 429, 'retry_after' => 3 * DAY_IN_SECONDS ) );

		$this->assertSame( array(), Health\incidents() );
	}

	public function test_the_daily_digest_mails_the_problems_when_it_is_on(): void {
		$sent    = array();
		$capture = static function ( $short_circuit, $mail ) use ( &$sent ) {
			$sent[] = $mail;
			return true;
		};
		add_filter( 'pre_wp_mail', $capture, 10, 2 );
		try {
			$this->assertFalse( Health_Digest\send(), 'Off by default.' );
			update_option( Settings\HEALTH_DIGEST, true );
			$this->assertFalse( Health_Digest\send(), 'Nothing to tell.' );
			$gone = self::fail_run( self::running(), array( 'status' => 410 ) );

			$this->assertTrue( Health_Digest\send() );
		} finally {
			remove_filter( 'pre_wp_mail', $capture, 10 );
		}

		$this->assertCount( 1, $sent );
		$this->assertSame( get_option( 'admin_email' ), $sent[0]['to'] );
		$this->assertStringEndsWith( '] 1 feed needs attention', $sent[0]['subject'] );
		$this->assertStringContainsString( 'is gone: its address answers 410', $sent[0]['message'] );
		$this->assertStringContainsString( 'page=atai-feeds&action=edit&feed=' . $gone->id, $sent[0]['message'] );
	}

	public function test_the_digest_is_scheduled_daily_and_unscheduled_on_deactivation(): void {
		Health_Digest\ensure_scheduled();
		$this->assertSame( 'daily', wp_get_schedule( Health_Digest\HOOK ) );
	}

	public function test_a_feed_outside_its_active_dates_is_not_due_and_waits_for_its_first_day(): void {
		$tomorrow = wp_date( 'Y-m-d', time() + DAY_IN_SECONDS );
		$early    = self::create_feed( array( 'active_from' => $tomorrow ) );
		$ended    = self::create_feed( array( 'active_until' => wp_date( 'Y-m-d', time() - 2 * DAY_IN_SECONDS ) ) );
		$open     = self::create_feed(
			array(
				'active_from'  => wp_date( 'Y-m-d', time() - DAY_IN_SECONDS ),
				'active_until' => $tomorrow,
			)
		);

		$due = array_map( static fn( Feed $feed ) => $feed->id, Runs\due_feeds() );

		$this->assertContains( $open->id, $due );
		$this->assertNotContains( $early->id, $due );
		$this->assertNotContains( $ended->id, $due );
		$this->assertSame( ( new \DateTimeImmutable( $tomorrow, wp_timezone() ) )->getTimestamp(), Clock\timestamp( Feeds\get( $early->id )->next_run_at ) );
		$this->assertStringStartsWith( 'It starts running on ', Health\summary( Feeds\get( $early->id ) ) );
		$this->assertStringStartsWith( 'Its last day was ', Health\summary( Feeds\get( $ended->id ) ) );
		$this->assertSame( array(), Health\incidents(), 'A feed past its last day is not stalled.' );
	}

	public function test_active_dates_are_checked_in_words(): void {
		self::act_as( 'administrator' );
		$bad   = Feeds\validate( array( 'url' => 'https://news.example.org/dates.xml', 'active_from' => '1st of May' ) );
		$order = Feeds\validate(
			array(
				'url'          => 'https://news.example.org/dates.xml',
				'active_from'  => '2027-05-01',
				'active_until' => '2027-04-01',
			)
		);

		$this->assertSame( 'Active from: enter a date as YYYY-MM-DD, for example 2027-03-01, or leave it empty.', Feeds\field_messages( $bad )['active_from'] );
		$this->assertSame( 'Active until: the last day comes before the first day.', Feeds\field_messages( $order )['active_until'] );
	}
}
