<?php
/**
 * The run history: one row per finished run of a feed in {prefix}atai_runs, for the feed's screen.
 *
 * A row says when the run started and ended, whether the feed was fetched or not modified (or could not
 * be read), and what became of its items: new in the feed, skipped by the filters, posted, held for
 * review (held in the ledger: inc/reviews.php), failed. The newest KEEP rows of each
 * feed are kept.
 *
 * @package automationtools-ai
 */

namespace ATAI\Run_Log;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Ledger;
use ATAI\Schema;
use WP_Error;

/** Rows kept per feed. */
const KEEP = 100;

/**
 * Record a run the feed just closed (Runs\finish()).
 *
 * @since 0.3.0
 *
 * @param Feed                 $feed The feed, as it was while the run was on.
 * @param array<string, mixed> $run  The finished Run.
 */
function record( Feed $feed, array $run ): void {
	$fetched = is_array( $run['feed'] ) ? $run['feed'] : null;
	$counts  = Ledger\counts_in_run( $run['run_id'] );
	$error   = is_array( $run['error'] ) ? $run['error'] : null;
	$result  = 'failed';
	if ( null !== $fetched ) {
		$result = $fetched['not_modified'] ? 'not_modified' : 'fetched';
	}
	insert(
		$feed,
		array(
			'run_id'           => $run['run_id'],
			'state'            => $run['state'],
			'fetch_result'     => $result,
			'http_status'      => (int) ( $error['status'] ?? 0 ),
			'entries_new'      => (int) ( $fetched['entries_new'] ?? 0 ),
			'items_skipped'    => $counts['skipped'] ?? 0,
			'items_posted'     => $counts['posted'] ?? 0,
			'items_held'       => $counts['held'] ?? 0,
			'items_failed'     => $counts['failed'] ?? 0,
			'entries_deferred' => (int) ( $fetched['entries_deferred'] ?? 0 ),
			'error_code'       => mb_substr( (string) ( $error['code'] ?? '' ), 0, 64 ),
			'error_message'    => $error['message'] ?? null,
		)
	);
}

/**
 * Record a run the worker lost (restarted or wiped): it ended without a result.
 *
 * @since 0.3.0
 */
function record_lost( Feed $feed, WP_Error $error ): void {
	insert(
		$feed,
		array(
			'run_id'        => (string) $feed->run_id,
			'state'         => 'lost',
			'fetch_result'  => '',
			'error_code'    => mb_substr( $error->get_error_code(), 0, 64 ),
			'error_message' => $error->get_error_message(),
		)
	);
}

/**
 * Insert one row and drop the feed's rows beyond the newest KEEP.
 *
 * @since 0.3.0
 *
 * @param Feed                 $feed    The feed.
 * @param array<string, mixed> $columns Column values.
 */
function insert( Feed $feed, array $columns ): void {
	global $wpdb;
	$table = Schema\runs_table();
	$wpdb->insert(
		$table,
		array(
			'feed_id'     => $feed->id,
			'started_at'  => $feed->run_started_at,
			'finished_at' => Clock\utc(),
		) + $columns
	);
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE feed_id = %d AND id <= (SELECT id FROM (SELECT id FROM {$table} WHERE feed_id = %d ORDER BY id DESC LIMIT 1 OFFSET %d) AS oldest_kept)", $feed->id, $feed->id, KEEP ) );
}

/**
 * A feed's most recent runs, newest first.
 *
 * @since 0.3.0
 *
 * @return array<int, array<string, mixed>>
 */
function recent( int $feed_id, int $limit = 20 ): array {
	global $wpdb;
	$table = Schema\runs_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$table} WHERE feed_id = %d ORDER BY id DESC LIMIT %d", $feed_id, $limit ), ARRAY_A );
	return array_map( __NAMESPACE__ . '\\from_row', $rows ?: array() );
}

/**
 * A run row with typed values; duration in seconds, or null when the start is not known.
 *
 * @since 0.3.0
 *
 * @param array<string, string|null> $row Row of the runs table.
 * @return array<string, mixed>
 */
function from_row( array $row ): array {
	$ints = array( 'id', 'feed_id', 'http_status', 'entries_new', 'items_skipped', 'items_posted', 'items_held', 'items_failed', 'entries_deferred' );
	$run  = $row;
	foreach ( $ints as $column ) {
		$run[ $column ] = (int) $row[ $column ];
	}
	$run['error_message'] = (string) $row['error_message'];
	$run['duration']      = null === $row['started_at'] ? null : max( 0, Clock\timestamp( $row['finished_at'] ) - Clock\timestamp( $row['started_at'] ) );
	return $run;
}

/**
 * Delete a feed's history (the feed is deleted).
 *
 * @since 0.3.0
 */
function forget( int $feed_id ): void {
	global $wpdb;
	$wpdb->delete( Schema\runs_table(), array( 'feed_id' => $feed_id ) );
}
