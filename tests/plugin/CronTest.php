<?php
/**
 * The cron tick: schedule, lock, time budget, and what it collects and dispatches.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Clock;
use ATAI\Cron;
use ATAI\Feeds;
use ATAI\Lock;
use ATAI\Runs;

/**
 * Ticks against a worker URL where nothing listens, so every contact with the worker leaves its mark.
 */
final class CronTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
	}

	/**
	 * Wait until MariaDB has ended a connection's thread.
	 *
	 * @param int $thread The connection's thread ID.
	 */
	private static function wait_until_thread_gone( int $thread ): void {
		global $wpdb;
		for ( $polls = 0; $polls < 500; ++$polls ) {
			if ( '0' === $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d', $thread ) ) ) {
				return;
			}
			usleep( 10000 );
		}
	}

	/**
	 * A second MariaDB connection, as a second PHP process would have.
	 */
	private static function other_connection(): \mysqli {
		return new \mysqli( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
	}

	public function test_a_tick_while_another_connection_holds_the_lock_does_nothing(): void {
		$feed  = self::create_feed();
		$other = self::other_connection();
		$name  = $other->real_escape_string( Lock\name( Cron\LOCK ) );
		$this->assertSame( '1', $other->query( "SELECT GET_LOCK('$name', 0)" )->fetch_row()[0] );

		$blocked = Cron\tick();

		$this->assertTrue( $blocked['locked'] );
		$this->assertSame( 0, $blocked['dispatched'] );
		$this->assertSame( array(), $blocked['errors'] );
		$this->assertSame( '', Feeds\get( $feed->id )->last_error );

		$other->query( "SELECT RELEASE_LOCK('$name')" );
		$other->close();
		$free = Cron\tick();

		$this->assertFalse( $free['locked'] );
		$this->assertArrayHasKey( $feed->id, $free['errors'] );
		$this->assertStringStartsWith( 'Could not reach the worker', Feeds\get( $feed->id )->last_error );
	}

	public function test_the_tick_lock_is_released_when_the_connection_that_held_it_goes_away(): void {
		$other = self::other_connection();
		$name  = $other->real_escape_string( Lock\name( Cron\LOCK ) );
		$other->query( "SELECT GET_LOCK('$name', 0)" );
		$this->assertFalse( Lock\acquire( Cron\LOCK ) );
		$thread = $other->thread_id;

		$other->close();
		// The server ends the closed connection's thread (and frees its locks) a moment after the client
		// is gone; a PHP process that dies is the same. Wait for that thread to go, not for a time.
		self::wait_until_thread_gone( $thread );

		$this->assertTrue( Lock\acquire( Cron\LOCK ) );
		Lock\release( Cron\LOCK );
	}

	public function test_a_tick_collects_feeds_with_a_run_and_dispatches_only_due_active_feeds(): void {
		$due      = self::create_feed();
		$paused   = self::create_feed( array( 'status' => 'paused' ) );
		$later    = self::set_feed_columns( self::create_feed()->id, array( 'next_run_at' => Clock\utc( 600 ) ) );
		$running  = self::set_feed_columns(
			self::create_feed()->id,
			array(
				'run_id'         => Contract_Fixtures::run_id(),
				'run_started_at' => Clock\utc( -60 ),
			)
		);

		$summary = Cron\tick();

		$this->assertEqualsCanonicalizing( array( $due->id, $running->id ), array_keys( $summary['errors'] ) );
		$this->assertSame( '', Feeds\get( $paused->id )->last_error );
		$this->assertSame( '', Feeds\get( $later->id )->last_error );
		$this->assertSame( $running->run_id, Feeds\get( $running->id )->run_id );
	}

	public function test_a_dispatch_claim_left_by_a_request_that_died_is_released_and_the_feed_dispatched(): void {
		$stale  = self::set_feed_columns(
			self::create_feed()->id,
			array(
				'run_id'         => Runs\DISPATCHING,
				'run_started_at' => Clock\utc( -10 * MINUTE_IN_SECONDS ),
			)
		);
		$recent = self::set_feed_columns(
			self::create_feed()->id,
			array(
				'run_id'         => Runs\DISPATCHING,
				'run_started_at' => Clock\utc(),
			)
		);

		$summary = Cron\tick();

		$this->assertSame( array( $stale->id ), array_keys( $summary['errors'] ) );
		$this->assertNull( Feeds\get( $stale->id )->run_id );
		$this->assertSame( Runs\DISPATCHING, Feeds\get( $recent->id )->run_id );
	}

	public function test_a_tick_whose_time_budget_is_spent_starts_nothing(): void {
		$feed   = self::create_feed();
		$budget = static fn() => 0.0;
		add_filter( 'atai_time_budget', $budget );

		$summary = Cron\tick();

		remove_filter( 'atai_time_budget', $budget );
		$this->assertSame( array(), $summary['errors'] );
		$this->assertSame( 0, $summary['dispatched'] );
		$this->assertSame( '', Feeds\get( $feed->id )->last_error );
	}

	public function test_an_unexpected_failure_stops_one_feed_only_and_shows_on_it(): void {
		$first  = self::set_feed_columns( self::create_feed()->id, array( 'next_run_at' => Clock\utc( -60 ) ) );
		$second = self::create_feed();
		$calls  = 0;
		// A misbehaving plugin that throws on the first HTTP request only.
		$broken = static function ( $preempt ) use ( &$calls ) {
			if ( 0 === $calls++ ) {
				throw new \RuntimeException( 'another plugin broke' );
			}
			return $preempt;
		};
		add_filter( 'pre_http_request', $broken );
		$this->expect_log_entry( '/atai stage=dispatch .*error=another plugin broke/' );

		$summary = Cron\tick();

		remove_filter( 'pre_http_request', $broken );
		$failed = Feeds\get( $first->id );
		$this->assertSame( 'dispatch: unexpected failure: another plugin broke', $failed->last_error );
		$this->assertNull( $failed->run_id, 'The dispatch claim is released.' );
		$this->assertStringStartsWith( 'Could not reach the worker', Feeds\get( $second->id )->last_error );
		$this->assertCount( 2, $summary['errors'] );
	}

	public function test_only_one_of_two_claims_on_a_feed_succeeds(): void {
		$feed = self::create_feed();

		$this->assertTrue( Runs\claim_for_dispatch( $feed->id ) );
		$this->assertFalse( Runs\claim_for_dispatch( $feed->id ) );
	}

	public function test_scheduling_is_idempotent_and_the_hook_runs_the_tick(): void {
		wp_clear_scheduled_hook( Cron\HOOK );

		Cron\ensure_scheduled();
		Cron\ensure_scheduled();

		$events = 0;
		foreach ( _get_cron_array() as $hooks ) {
			$events += isset( $hooks[ Cron\HOOK ] ) ? count( $hooks[ Cron\HOOK ] ) : 0;
		}
		$this->assertSame( 1, $events );
		$this->assertSame( 10, has_action( Cron\HOOK, 'ATAI\\Cron\\tick' ) );
	}
}
