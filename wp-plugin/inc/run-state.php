<?php
/**
 * Run state: the columns of a feed row that say where its runs stand (run_id, run_started_at,
 * next_run_at, last_run_at, last_status, last_error_code, last_error, failed_runs, failing_since,
 * last_http_status, note, etag, last_modified, entries_deferred). Every write of them, and every
 * query that selects feeds by them, is here; the feed's configuration is in feeds.php. A run changes
 * the configuration in two cases only, each with a note on the feed: a feed that moved for good
 * (301 or 308) gets its new address, and a feed that is gone (410) is paused.
 *
 * run_id is null (no run), DISPATCHING (a claim taken while the run request is on its way to the
 * worker) or the worker's run ID (a run to collect). collect_owed says that a request found the run
 * being collected and left it to that collection to collect once more (Runs\collect()); no Feed
 * property holds it, as only the two functions here read and write it, straight from the table.
 *
 * @package automationtools-ai
 */

namespace ATAI\Runs;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Feed_Address;
use ATAI\Ledger;
use ATAI\Messages;
use ATAI\Run_Log;
use ATAI\Schedule;
use ATAI\Schema;
use WP_Error;

/** The run_id a feed holds while its run request is being sent. */
const DISPATCHING = 'dispatching';

/** A claim older than this belongs to a request that died; it is released. */
const STALE_CLAIM_SECONDS = 120;

/** The longest Retry-After honoured: a server asking for more is asked again after a week. */
const MAX_RETRY_AFTER = WEEK_IN_SECONDS;

/**
 * Active feeds that are due and have no run, longest waiting first. A due feed outside its active
 * dates is not returned: its next run moves to when it may run (Schedule\not_before()).
 *
 * @since 0.1.0
 *
 * @return Feed[]
 */
function due_feeds( int $limit = 50 ): array {
	global $wpdb;
	$table = Schema\feeds_table();
	$rows  = $wpdb->get_results(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->prepare( "SELECT * FROM {$table} WHERE status = 'active' AND run_id IS NULL AND (next_run_at IS NULL OR next_run_at <= %s) ORDER BY next_run_at LIMIT %d", Clock\utc(), $limit ),
		ARRAY_A
	);
	$due = array();
	foreach ( array_map( array( Feed::class, 'from_row' ), $rows ?: array() ) as $feed ) {
		$not_before = Schedule\not_before( $feed, time() );
		if ( $not_before > 0 ) {
			$wpdb->update( $table, array( 'next_run_at' => Clock\at( $not_before ) ), array( 'id' => $feed->id ) );
			continue;
		}
		$due[] = $feed;
	}
	return $due;
}

/**
 * Feeds with a run at the worker to collect, oldest run first.
 *
 * @since 0.1.0
 *
 * @return Feed[]
 */
function feeds_to_collect(): array {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$table} WHERE run_id IS NOT NULL AND run_id <> %s ORDER BY run_started_at", DISPATCHING ), ARRAY_A );
	return array_map( array( Feed::class, 'from_row' ), $rows ?: array() );
}

/**
 * The feed whose current run is $run_id, or null.
 *
 * @since 0.1.0
 *
 * @return Feed|null
 */
function feed_of_run( string $run_id ): ?Feed {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE run_id = %s", $run_id ), ARRAY_A );
	return $row ? Feed::from_row( $row ) : null;
}

/**
 * The columns that show an error on the feed, in words.
 *
 * @since 0.1.0
 *
 * @return array{last_error_code: string, last_error: string}
 */
function error_columns( WP_Error $error ): array {
	return array(
		'last_error_code' => $error->get_error_code(),
		'last_error'      => $error->get_error_message(),
	);
}

/**
 * Claim a feed for dispatch; false when it already has a run (or a claim).
 *
 * The UPDATE is atomic, so two requests never both dispatch the same feed.
 *
 * @since 0.1.0
 */
function claim_for_dispatch( int $id ): bool {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return 1 === $wpdb->query( $wpdb->prepare( "UPDATE {$table} SET run_id = %s, run_started_at = %s WHERE id = %d AND run_id IS NULL", DISPATCHING, Clock\utc(), $id ) );
}

/**
 * Give up a dispatch claim after the worker refused or could not be reached; the feed stays due.
 *
 * @since 0.1.0
 */
function release_claim( int $id, WP_Error $error ): void {
	update_while_running(
		$id,
		DISPATCHING,
		array(
			'run_id'         => null,
			'run_started_at' => null,
		) + error_columns( $error )
	);
}

/**
 * Release claims left by requests that died between the claim and the worker's answer.
 *
 * @since 0.1.0
 */
function release_stale_claims(): void {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET run_id = NULL, run_started_at = NULL WHERE run_id = %s AND run_started_at < %s", DISPATCHING, Clock\utc( -STALE_CLAIM_SECONDS ) ) );
}

/**
 * Record that a run's collection is owed: a request (the worker's callback, a tick) found the run being
 * collected, so the collection in progress collects once more before it ends (issue 16).
 *
 * @since 0.1.0
 */
function owe_collection( int $id, string $run_id ): void {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET collect_owed = 1 WHERE id = %d AND run_id = %s", $id, $run_id ) );
}

/**
 * Take the collection owed for a run, if one is: true when it was owed (and is not any more).
 *
 * Read from the table, never from a cache: the request that owed it is another one.
 *
 * @since 0.1.0
 */
function take_owed_collection( int $id, string $run_id ): bool {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return 1 === $wpdb->query( $wpdb->prepare( "UPDATE {$table} SET collect_owed = 0 WHERE id = %d AND run_id = %s AND collect_owed = 1", $id, $run_id ) );
}

/**
 * Store the run the worker accepted and when the feed is due next.
 *
 * A worker connection error shown on the feed is cleared: the worker answered.
 *
 * @since 0.1.0
 */
function start_run( Feed $feed, string $run_id ): void {
	global $wpdb;
	$columns = array(
		'run_id'         => $run_id,
		'run_started_at' => Clock\utc(),
		'collect_owed'   => 0,
		'next_run_at'    => Clock\utc( $feed->interval_seconds ),
	);
	if ( str_starts_with( $feed->last_error_code, 'atai_worker_' ) ) {
		$columns['last_error_code'] = '';
		$columns['last_error']      = null;
	}
	$wpdb->update( Schema\feeds_table(), $columns, array( 'id' => $feed->id ) );
}

/**
 * Show an error on the feed without touching its run (e.g. the worker is unreachable: try again next tick).
 *
 * @since 0.1.0
 */
function record_error( int $id, WP_Error $error ): void {
	global $wpdb;
	$wpdb->update( Schema\feeds_table(), error_columns( $error ), array( 'id' => $id ) );
}

/**
 * Clear a worker connection error once the worker answers again.
 *
 * @since 0.1.0
 */
function clear_worker_error( Feed $feed ): void {
	global $wpdb;
	if ( ! str_starts_with( $feed->last_error_code, 'atai_worker_' ) ) {
		return;
	}
	$wpdb->update(
		Schema\feeds_table(),
		array(
			'last_error_code' => '',
			'last_error'      => null,
		),
		array( 'id' => $feed->id )
	);
}

/**
 * Seconds until a feed that could not be read is tried again: at the next tick first, then after 1, 3,
 * 7, 15… minutes for each further failure in a row, never later than the feed's own interval (a moved
 * or broken feed is not asked every minute forever, and one that is back is read again soon).
 *
 * @since 0.1.0
 *
 * @param int $failed_runs Failed runs in a row, this one included.
 * @param int $interval    The feed's check interval in seconds.
 */
function retry_delay( int $failed_runs, int $interval ): int {
	return (int) min( $interval, MINUTE_IN_SECONDS * ( 2 ** min( $failed_runs - 1, 16 ) - 1 ) );
}

/**
 * Close a finished run on its feed: last run, status, error in words, conditional-GET validators, title.
 *
 * @since 0.1.0
 *
 * @param Feed                 $feed The feed.
 * @param array<string, mixed> $run  The finished Run.
 */
function finish( Feed $feed, array $run ): void {
	Ledger\release_run( $run['run_id'] );
	$columns = array(
		'last_status'     => $run['state'],
		'last_error_code' => '',
		'last_error'      => null,
	);
	if ( 'failed' === $run['state'] ) {
		$columns = failure_columns( $feed, is_array( $run['error'] ) ? $run['error'] : array() ) + $columns;
	} else {
		$columns['failed_runs']      = 0;
		$columns['failing_since']    = null;
		$columns['last_http_status'] = 0;
		// Items that failed for a reason that will pass are tried again when the first of them is due,
		// not at the feed's next interval (issue 16).
		$retry_at = Ledger\next_retry_at( $feed->id );
		if ( null !== $retry_at && ( null === $feed->next_run_at || $retry_at < $feed->next_run_at ) ) {
			$columns['next_run_at'] = $retry_at;
		}
		$failed = Ledger\count_failed_in_run( $run['run_id'] );
		if ( $failed > 0 ) {
			$columns['last_error_code'] = 'items_failed';
			$columns['last_error']      = sprintf(
				/* translators: %d: number of items. */
				_n( '%d item of the last run could not be imported; the feed\'s items list says why.', '%d items of the last run could not be imported; the feed\'s items list says why.', $failed, 'automationtools-ai' ),
				$failed
			);
		}
	}
	$fetched = $run['feed'];
	if ( is_array( $fetched ) ) {
		$columns['entries_deferred'] = $fetched['entries_deferred'];
		// Keep the validators of the last full fetch; a 304 run has nothing newer to say.
		if ( 'done' === $run['state'] && 0 === $fetched['entries_deferred'] && ! $fetched['not_modified'] ) {
			$columns['etag']          = is_string( $fetched['etag'] ) ? mb_substr( $fetched['etag'], 0, 1024 ) : null;
			$columns['last_modified'] = is_string( $fetched['last_modified'] ) ? mb_substr( $fetched['last_modified'], 0, 128 ) : null;
		}
		if ( '' === $feed->title && is_string( $fetched['title'] ) && '' !== trim( $fetched['title'] ) ) {
			$columns['title'] = mb_substr( sanitize_text_field( $fetched['title'] ), 0, 255 );
		}
		if ( is_string( $fetched['permanent_redirect'] ?? null ) ) {
			$columns += moved_columns( $feed, $fetched['permanent_redirect'] );
		}
	}
	$columns += array(
		'run_id'         => null,
		'run_started_at' => null,
		'collect_owed'   => 0,
		'last_run_at'    => Clock\utc(),
	);
	update_while_running( $feed->id, $feed->run_id, $columns );
	Run_Log\record( $feed, $run );
}

/**
 * The columns of a failed run: the error in words, the failures in a row and since when, and the next
 * try (later and later, and never before a Retry-After). A feed that is gone (410) is paused, with a note.
 *
 * @since 0.3.0
 *
 * @param Feed                 $feed  The feed.
 * @param array<string, mixed> $error The Run's error.
 * @return array<string, mixed>
 */
function failure_columns( Feed $feed, array $error ): array {
	$failed_runs = $feed->failed_runs + 1;
	$status      = (int) ( $error['status'] ?? 0 );
	$delay       = max( retry_delay( $failed_runs, $feed->interval_seconds ), min( (int) ( $error['retry_after'] ?? 0 ), MAX_RETRY_AFTER ) );
	$columns     = array(
		'last_error_code'  => (string) ( $error['code'] ?? 'run_failed' ),
		'last_error'       => isset( $error['message'] ) ? (string) Messages\localized( $error )['message'] : __( 'The worker could not read the feed and gave no reason.', 'automationtools-ai' ),
		'failed_runs'      => $failed_runs,
		'failing_since'    => $feed->failing_since ?? Clock\utc(),
		'last_http_status' => $status,
		'next_run_at'      => Clock\utc( $delay ),
	);
	if ( 410 === $status && 'active' === $feed->status ) {
		$columns['status'] = 'paused';
		$columns['note']   = sprintf(
			/* translators: %s: date and time. */
			__( 'Paused on %s: the feed\'s address answers 410 (gone for good). Find the site\'s feed again from its address, change the address here and resume the feed, or delete it.', 'automationtools-ai' ),
			wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ) )
		);
	}
	return $columns;
}

/**
 * The columns of a feed whose server said it moved for good: its new address and a note, or only a
 * note when another feed already has that address (or it is not one the feed may have).
 *
 * @since 0.3.0
 *
 * @return array<string, mixed>
 */
function moved_columns( Feed $feed, string $moved_to ): array {
	$url = \ATAI\Settings\clean_url( $moved_to );
	if ( '' === $url || $url === $feed->url ) {
		return array();
	}
	$when  = wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ) );
	$other = Feed_Address\feed_with_same_address( $url, $feed->id )['id'] ?? null;
	if ( null !== $other ) {
		return array(
			'note' => sprintf(
				/* translators: 1: date and time, 2: the new address, 3: ID of the feed that has it. */
				__( 'On %1$s the feed\'s server said it moved for good to %2$s, which is already feed #%3$d; this feed\'s address was left as it is.', 'automationtools-ai' ),
				$when,
				$url,
				$other
			),
		);
	}
	return array(
		'url'  => $url,
		'note' => sprintf(
			/* translators: 1: date and time, 2: the old address, 3: the new address. */
			__( 'On %1$s the feed\'s server said it moved for good from %2$s to %3$s; its address was changed to the new one.', 'automationtools-ai' ),
			$when,
			$feed->url,
			$url
		),
	);
}

/**
 * Clear the note on a feed (the site owner has read it).
 *
 * @since 0.3.0
 */
function clear_note( int $id ): void {
	global $wpdb;
	$wpdb->update( Schema\feeds_table(), array( 'note' => null ), array( 'id' => $id ) );
}

/**
 * Forget a run the worker no longer knows and make the feed due at once.
 *
 * @since 0.1.0
 */
function forget_run( Feed $feed, WP_Error $error ): void {
	Run_Log\record_lost( $feed, $error );
	update_while_running(
		$feed->id,
		$feed->run_id,
		array(
			'run_id'         => null,
			'run_started_at' => null,
			'collect_owed'   => 0,
			'next_run_at'    => Clock\utc(),
			'last_status'    => 'failed',
		) + error_columns( $error )
	);
}

/**
 * Change a feed's columns only while it still holds this run (or claim): a run that another request
 * closed or forgot meanwhile must not close the feed's next one.
 *
 * @since 0.1.0
 *
 * @param int                  $id      Feed ID.
 * @param string|null          $run_id  The run (or DISPATCHING) the change belongs to.
 * @param array<string, mixed> $columns Column values.
 */
function update_while_running( int $id, ?string $run_id, array $columns ): void {
	global $wpdb;
	$wpdb->update(
		Schema\feeds_table(),
		$columns,
		array(
			'id'     => $id,
			'run_id' => $run_id,
		)
	);
}
