<?php
/**
 * Base case for tests against the real worker and the fake origin that tests/plugin/run.py started.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Posts;
use ATAI\Runs;

/**
 * Points the plugin at the real worker; runs a feed to the end; finds the posts a feed made.
 */
abstract class WorkerTestCase extends RestTestCase {

	/** How long a run may take before the test gives up waiting (not a speed check: a hang guard). */
	const RUN_WAIT_SECONDS = 120;

	protected function setUp(): void {
		parent::setUp();
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
	}

	/**
	 * Dispatch a feed and collect until the worker is done and the run is closed; returns the feed.
	 *
	 * @param Feed $feed The feed.
	 */
	protected function run_to_the_end( Feed $feed ): Feed {
		$dispatched = Runs\dispatch( $feed );
		$this->assertIsArray( $dispatched, is_wp_error( $dispatched ) ? $dispatched->get_error_message() : '' );
		$give_up = microtime( true ) + self::RUN_WAIT_SECONDS;
		while ( true ) {
			$feed = Feeds\get( $feed->id );
			if ( null === $feed->run_id ) {
				return $feed;
			}
			if ( microtime( true ) > $give_up ) {
				$this->fail( 'The worker did not finish the run; the feed says: ' . $feed->last_error );
			}
			Runs\collect( $feed, microtime( true ) + 20 );
			usleep( 200000 );
		}
	}

	/**
	 * Posts made from a feed, by item key.
	 *
	 * @return array<string, int>
	 */
	protected static function posts_of( int $feed_id ): array {
		global $wpdb;
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT k.meta_value AS item_key, k.post_id FROM {$wpdb->postmeta} k JOIN {$wpdb->postmeta} f ON f.post_id = k.post_id AND f.meta_key = %s AND f.meta_value = %s WHERE k.meta_key = %s",
				Posts\META_FEED_ID,
				(string) $feed_id,
				Posts\META_ITEM_KEY
			),
			ARRAY_A
		);
		return array_map( 'intval', array_column( $rows, 'post_id', 'item_key' ) );
	}
}
