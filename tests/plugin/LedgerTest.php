<?php
/**
 * The item ledger: planned items, item errors and their attempts, the keys the worker skips.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Ledger;
use ATAI\Runs;
use ATAI\Schema;

/**
 * Ledger rows as the worker's runs change them.
 */
final class LedgerTest extends TestCase {

	public function test_a_retryable_item_error_is_sent_again_until_its_third_failure(): void {
		$feed  = self::create_feed();
		$error = Contract_Fixtures::item_error( $feed->id, 'flaky' );

		foreach ( array( 1, 2 ) as $attempt ) {
			Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );
			$item = Ledger\get( $error['key'] );
			$this->assertSame( $attempt, $item['attempts'] );
			$this->assertFalse( $item['failed_for_good'] );
			$this->assertNotContains( $error['key'], Ledger\seen_keys( $feed->id, null ), "After $attempt failures the worker tries it again." );
		}

		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );

		$item = Ledger\get( $error['key'] );
		$this->assertSame( 3, $item['attempts'] );
		$this->assertTrue( $item['failed_for_good'] );
		$this->assertSame( 'extract_failed', $item['error_code'] );
		$this->assertSame( $error['message'], $item['error_message'] );
		$this->assertContains( $error['key'], Ledger\seen_keys( $feed->id, null ) );
	}

	public function test_a_non_retryable_item_error_is_failed_for_good_at_once(): void {
		$feed  = self::create_feed();
		$error = Contract_Fixtures::item_error(
			$feed->id,
			'empty',
			array(
				'stage'     => 'guards',
				'code'      => 'empty_article',
				'message'   => 'guards: the article has no text',
				'retryable' => false,
			)
		);

		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );

		$item = Ledger\get( $error['key'] );
		$this->assertSame( 1, $item['attempts'] );
		$this->assertTrue( $item['failed_for_good'] );
		$this->assertContains( $error['key'], Ledger\seen_keys( $feed->id, null ) );
	}

	public function test_the_same_runs_error_seen_twice_counts_one_attempt(): void {
		$feed   = self::create_feed();
		$error  = Contract_Fixtures::item_error( $feed->id, 'seen-twice' );
		$run_id = Contract_Fixtures::run_id();
		$run    = Contract_Fixtures::run( $feed->id, $run_id, array(), array( $error ) );

		// As when an acknowledgement is lost: the worker hands the same run back.
		foreach ( array( 1, 2 ) as $collect ) {
			Ledger\record_planned( $feed->id, $run_id, $run['items'] );
			Ledger\record_failures( $feed->id, $run_id, $run['errors'] );
		}

		$this->assertSame( 1, Ledger\get( $error['key'] )['attempts'] );
	}

	public function test_an_error_for_a_key_that_is_posted_leaves_it_posted(): void {
		$feed   = self::create_feed();
		$draft  = Contract_Fixtures::draft( $feed->id, 'posted-then-error' );
		$posted = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'];

		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::item_error( $feed->id, 'posted-then-error' ) ) );

		$item = Ledger\get( $draft['key'] );
		$this->assertSame( 'posted', $item['state'] );
		$this->assertSame( $posted[ $draft['key'] ], $item['post_id'] );
		$this->assertSame( 0, $item['attempts'] );
		$this->assertSame( '', $item['error_code'] );
	}

	public function test_seen_keys_hold_posted_and_failed_for_good_keys_and_queued_keys_of_the_live_run_only(): void {
		$feed     = self::create_feed();
		$live     = Contract_Fixtures::run_id();
		$old      = Contract_Fixtures::run_id();
		$posted   = Contract_Fixtures::draft( $feed->id, 'k-posted' );
		$queued   = Contract_Fixtures::draft( $feed->id, 'k-queued-live' );
		$stale    = Contract_Fixtures::draft( $feed->id, 'k-queued-old' );
		$retry    = Contract_Fixtures::item_error( $feed->id, 'k-retry' );
		$for_good = Contract_Fixtures::item_error( $feed->id, 'k-for-good', array( 'retryable' => false ) );
		$other    = self::create_feed();
		$foreign  = Contract_Fixtures::draft( $other->id, 'k-other-feed' );

		Runs\import_drafts( $feed, $old, array( $posted ) );
		Runs\import_drafts( $other, $old, array( $foreign ) );
		Ledger\record_planned( $feed->id, $live, array( Contract_Fixtures::planned( $queued, 'pending' ) ) );
		Ledger\record_planned( $feed->id, $old, array( Contract_Fixtures::planned( $stale, 'pending' ) ) );
		Ledger\record_failures( $feed->id, $old, array( $retry, $for_good ) );

		$this->assertEqualsCanonicalizing(
			array( $posted['key'], $queued['key'], $for_good['key'] ),
			Ledger\seen_keys( $feed->id, $live )
		);
		$this->assertEqualsCanonicalizing( array( $posted['key'], $for_good['key'] ), Ledger\seen_keys( $feed->id, null ) );
	}

	public function test_seen_keys_are_capped_at_20000_newest_first(): void {
		global $wpdb;
		$feed  = self::create_feed();
		$table = Schema\items_table();
		// 20,005 posted rows, the row numbered n updated n seconds after 2024-01-01 (MariaDB's sequence engine).
		$wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
				"INSERT INTO {$table} (item_key, feed_id, state, post_id, created_at, updated_at) SELECT SHA2(CONCAT(%d, '-', seq), 256), %d, 'posted', seq, '2024-01-01 00:00:00', '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_20005",
				$feed->id,
				$feed->id
			)
		);

		$keys = Ledger\seen_keys( $feed->id, null );

		$this->assertCount( Ledger\SEEN_KEYS_CAP, $keys );
		$this->assertSame( hash( 'sha256', $feed->id . '-20005' ), $keys[0] );
		$this->assertSame( hash( 'sha256', $feed->id . '-6' ), end( $keys ) );
	}

	public function test_planning_queues_new_keys_and_retryable_failures_but_leaves_posted_and_failed_for_good_keys(): void {
		$feed     = self::create_feed();
		$run_id   = Contract_Fixtures::run_id();
		$new      = Contract_Fixtures::draft( $feed->id, 'p-new' );
		$posted   = Contract_Fixtures::draft( $feed->id, 'p-posted' );
		$retry    = Contract_Fixtures::item_error( $feed->id, 'p-retry' );
		$for_good = Contract_Fixtures::item_error( $feed->id, 'p-for-good', array( 'retryable' => false ) );
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $posted ) );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $retry, $for_good ) );

		Ledger\record_planned(
			$feed->id,
			$run_id,
			array(
				Contract_Fixtures::planned( $new, 'pending' ),
				Contract_Fixtures::planned( $posted, 'pending' ),
				Contract_Fixtures::planned( $retry, 'pending' ),
				Contract_Fixtures::planned( $for_good, 'pending' ),
			)
		);

		$this->assertSame( array( 'queued', $run_id ), array( Ledger\get( $new['key'] )['state'], Ledger\get( $new['key'] )['run_id'] ) );
		$this->assertSame( 'Harbour cranes return to the old port', Ledger\get( $new['key'] )['title'] );
		$this->assertSame( 'posted', Ledger\get( $posted['key'] )['state'] );
		$this->assertSame( array( 'queued', 1 ), array( Ledger\get( $retry['key'] )['state'], Ledger\get( $retry['key'] )['attempts'] ) );
		$this->assertSame( 'failed', Ledger\get( $for_good['key'] )['state'] );
	}

	public function test_releasing_a_lost_run_forgets_its_fresh_rows_and_keeps_earlier_failures(): void {
		$feed   = self::create_feed();
		$lost   = Contract_Fixtures::run_id();
		$fresh  = Contract_Fixtures::draft( $feed->id, 'r-fresh' );
		$failed = Contract_Fixtures::item_error( $feed->id, 'r-failed-before' );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $failed ) );
		Ledger\record_planned( $feed->id, $lost, array( Contract_Fixtures::planned( $fresh, 'pending' ), Contract_Fixtures::planned( $failed, 'pending' ) ) );

		Ledger\release_run( $lost );

		$this->assertNull( Ledger\get( $fresh['key'] ) );
		$item = Ledger\get( $failed['key'] );
		$this->assertSame( 'failed', $item['state'] );
		$this->assertSame( 1, $item['attempts'] );
	}

	public function test_posts_made_are_counted_per_feed_from_the_ledger(): void {
		$feed  = self::create_feed();
		$other = self::create_feed();
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $feed->id, 'c1' ), Contract_Fixtures::draft( $feed->id, 'c2' ) ) );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::item_error( $feed->id, 'c3' ) ) );

		$this->assertSame(
			array(
				$feed->id  => 2,
				$other->id => 0,
			),
			Ledger\count_posted( array( $feed->id, $other->id ) )
		);
	}
}
