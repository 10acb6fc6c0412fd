<?php
/**
 * The item ledger: one row per source item in {prefix}atai_items, keyed by the worker's item key.
 *
 * States: queued (planned by a run), importing (claimed inside an import transaction; never seen
 * committed), posted (has its post), skipped (never sent again: the same story as a post made before,
 * inc/dedupe.php says which; or left out by the feed's filters, with the reason in error_code and
 * error_message), held (its post waits for review: inc/reviews.php), discarded (a person discarded its
 * draft; it never comes back), failed (with a code, a message and an attempt count).
 * A failed item is failed for good when its error is not retryable or after MAX_ATTEMPTS.
 *
 * An item that failed for a reason that will pass (the model rate-limited it, was unavailable or did
 * not answer in time: the worker's ItemError carries retry_after) has a retry_at instead: it is tried
 * again then, and not before, by a run of its feed scheduled for it (Runs\finish()); such failures do
 * not count against MAX_ATTEMPTS, but each one puts the next try further off (issue 16).
 *
 * @package automationtools-ai
 */

namespace ATAI\Ledger;

use ATAI\Clock;
use ATAI\Schema;
use WP_Error;

const STATES        = array( 'queued', 'importing', 'posted', 'skipped', 'held', 'discarded', 'failed' );
const MAX_ATTEMPTS  = 3;
const SEEN_KEYS_CAP = 20000;

/** The first retry of a failure that will pass comes after at least this long, doubling with each further one. */
const RETRY_BACKOFF = MINUTE_IN_SECONDS;

/** No retry is put off longer than this, however often the item failed. */
const MAX_RETRY_BACKOFF = DAY_IN_SECONDS;

/**
 * SQL condition of a row that is failed for good (no table alias).
 *
 * @since 0.1.0
 */
function failed_for_good_sql(): string {
	return "(state = 'failed' AND (retryable = 0 OR (attempts >= " . MAX_ATTEMPTS . ' AND retry_at IS NULL)))';
}

/**
 * Seconds from a failure that will pass until the item's next try: 1, 2, 4… minutes for its 1st, 2nd,
 * 3rd… failure, at most a day.
 *
 * @since 0.1.0
 */
function retry_backoff( int $attempts ): int {
	return (int) min( MAX_RETRY_BACKOFF, RETRY_BACKOFF * 2 ** min( max( $attempts, 1 ) - 1, 16 ) );
}

/**
 * Fit a value into a column: a string of at most $length characters.
 *
 * @since 0.1.0
 *
 * @param mixed $value  Value from the worker (string or null).
 * @param int   $length Column length.
 */
function fit( $value, int $length ): string {
	return is_string( $value ) ? mb_substr( $value, 0, $length ) : '';
}

/**
 * Record the run's planned items as queued, in one statement.
 *
 * A new key becomes queued; a failed key that may be retried is queued again for this run; posted
 * and failed-for-good keys stay as they are.
 *
 * @since 0.1.0
 *
 * @param int                              $feed_id Feed ID.
 * @param string                           $run_id  Run ID.
 * @param array<int, array<string, mixed>> $items   Run.items from the worker.
 */
function record_planned( int $feed_id, string $run_id, array $items ): void {
	global $wpdb;
	if ( ! $items ) {
		return;
	}
	$now    = Clock\utc();
	$values = array();
	foreach ( $items as $item ) {
		$values[] = $wpdb->prepare(
			'(%s, %d, %s, %s, %s, %s, %s, %s, %s)',
			$item['key'],
			$feed_id,
			$run_id,
			fit( $item['guid'], 2048 ),
			fit( $item['link'], 2048 ),
			fit( $item['title'], 300 ),
			'queued',
			$now,
			$now
		);
	}
	$table   = Schema\items_table();
	$attempt = MAX_ATTEMPTS;
	// Assignments run left to right and see the new values of earlier ones: state must come before run_id.
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- values are prepared above; table name is ours.
	$wpdb->query(
		"INSERT INTO {$table} (item_key, feed_id, run_id, guid, link, title, state, created_at, updated_at) VALUES " . implode( ', ', $values ) . "
		ON DUPLICATE KEY UPDATE
			state = IF(state = 'failed' AND run_id <> VALUES(run_id) AND retryable = 1 AND attempts < {$attempt}, 'queued', state),
			run_id = IF(state = 'queued', VALUES(run_id), run_id),
			updated_at = IF(state = 'queued', VALUES(updated_at), updated_at)"
	);
}

/**
 * Claim a key for import inside the caller's transaction; false means it is posted already.
 *
 * The UPDATE takes InnoDB's row lock until the transaction ends, so a second importer of the
 * same key waits here and then finds it posted. A database error is an error, never "posted":
 * a key reported as posted is acknowledged, and the worker then forgets it.
 *
 * @since 0.1.0
 *
 * @param string               $key     Item key.
 * @param int                  $feed_id Feed ID.
 * @param string               $run_id  Run ID.
 * @param array<string, mixed> $draft   The Draft (guid, source_url, source_title) for a row that is not there yet.
 * @param bool                 $skipped Whether a key skipped as a duplicate may be claimed ("Import anyway").
 * @return bool|WP_Error
 */
function claim( string $key, int $feed_id, string $run_id, array $draft, bool $skipped = false ) {
	global $wpdb;
	$table = Schema\items_table();
	$now   = Clock\utc();
	$done  = $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET state = 'importing', run_id = %s, updated_at = %s WHERE item_key = %s AND (state IN ('queued', 'failed') OR (%d = 1 AND state = 'skipped'))",
			$run_id,
			$now,
			$key,
			$skipped ? 1 : 0
		)
	);
	if ( false === $done ) {
		return claim_failed();
	}
	if ( 1 === $done ) {
		return true;
	}
	// No claimable row: either the key is new (insert it claimed) or it is posted (the insert is ignored).
	$done = $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"INSERT IGNORE INTO {$table} (item_key, feed_id, run_id, guid, link, title, state, created_at, updated_at) VALUES (%s, %d, %s, %s, %s, %s, 'importing', %s, %s)",
			$key,
			$feed_id,
			$run_id,
			fit( $draft['guid'] ?? null, 2048 ),
			fit( $draft['source_url'] ?? null, 2048 ),
			fit( $draft['source_title'] ?? null, 300 ),
			$now,
			$now
		)
	);
	if ( false === $done ) {
		return claim_failed();
	}
	return 1 === $done;
}

/**
 * The error of a claim the database refused (a deadlock, a lost connection).
 *
 * @since 0.1.0
 */
function claim_failed(): WP_Error {
	global $wpdb;
	return new WP_Error(
		'import_db_error',
		/* translators: %s: the database's error message. */
		sprintf( __( 'import: the database refused to claim the item: %s', 'automationtools-ai' ), $wpdb->last_error )
	);
}

/**
 * Mark a claimed key posted, or held for review (same transaction as the claim), with the source's hash
 * and the item's notes.
 *
 * @since 0.1.0
 *
 * @param string $key         Item key.
 * @param int    $post_id     Its post.
 * @param string $state       'posted', or 'held' when the post waits for review.
 * @param string $source_hash Draft.source_hash ('' when the worker sent none).
 * @param string $notes       What the item's row shows beside the post (image refusals...), one a line.
 */
function mark_posted( string $key, int $post_id, string $state = 'posted', string $source_hash = '', string $notes = '' ): bool {
	global $wpdb;
	$table = Schema\items_table();
	return 1 === $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET state = %s, post_id = %d, error_code = '', error_message = NULL, retry_at = NULL, source_hash = %s, notes = %s, updated_at = %s WHERE item_key = %s",
			'held' === $state ? 'held' : 'posted',
			$post_id,
			$source_hash,
			$notes,
			Clock\utc(),
			$key
		)
	);
}

/**
 * Mark a claimed key skipped as the same story as an existing post (same transaction as the claim).
 *
 * @since 0.2.0
 *
 * @param string $key    Item key.
 * @param string $code   duplicate_url, duplicate_text or near_duplicate.
 * @param string $reason The reason in words (Skips\reason()).
 */
function mark_skipped( string $key, string $code, string $reason ): bool {
	global $wpdb;
	$table = Schema\items_table();
	return 1 === $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET state = 'skipped', post_id = 0, error_code = %s, error_message = %s, updated_at = %s WHERE item_key = %s",
			$code,
			$reason,
			Clock\utc(),
			$key
		)
	);
}

/**
 * Record item failures (the worker's ItemErrors or our own import failures), in one statement.
 *
 * Each failure counts one attempt, once per run: seeing the same run's error again (e.g. after an
 * acknowledgement that did not reach the worker) changes nothing. A posted, held or discarded key stays as it is.
 *
 * @since 0.1.0
 *
 * @param int                              $feed_id  Feed ID.
 * @param string                           $run_id   Run ID.
 * @param array<int, array<string, mixed>> $failures Each with key, guid, link, title, code, message, retryable.
 */
function record_failures( int $feed_id, string $run_id, array $failures ): void {
	global $wpdb;
	if ( ! $failures ) {
		return;
	}
	$now    = Clock\utc();
	$values = array();
	foreach ( $failures as $failure ) {
		// A failure that will pass: never sooner than the worker says, nor than the first backoff.
		$retry_at = null;
		if ( ! empty( $failure['retry_after'] ) && false !== strtotime( $failure['retry_after'] ) ) {
			$retry_at = Clock\at( max( (int) strtotime( $failure['retry_after'] ), time() + retry_backoff( 1 ) ) );
		}
		$values[] = $wpdb->prepare(
			"(%s, %d, %s, %s, %s, %s, 'failed', 1, %d, %s, %s, " . ( null === $retry_at ? 'NULL' : '%s' ) . ', %s, %s)',
			array_merge(
				array(
					$failure['key'],
					$feed_id,
					$run_id,
					fit( $failure['guid'], 2048 ),
					fit( $failure['link'], 2048 ),
					fit( $failure['title'], 300 ),
					empty( $failure['retryable'] ) ? 0 : 1,
					fit( $failure['code'], 64 ),
					(string) $failure['message'],
				),
				null === $retry_at ? array() : array( $retry_at ),
				array( $now, $now )
			)
		);
	}
	$table   = Schema\items_table();
	$backoff = 'LEAST(' . MAX_RETRY_BACKOFF . ', ' . RETRY_BACKOFF . ' * POW(2, LEAST(attempts, 17) - 1))';
	// Assignments run left to right: everything that reads the old state and run_id comes before them,
	// and retry_at comes after attempts, whose new value sets how far off the next try is.
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- values are prepared above; table name and backoff are ours.
	$wpdb->query(
		"INSERT INTO {$table} (item_key, feed_id, run_id, guid, link, title, state, attempts, retryable, error_code, error_message, retry_at, created_at, updated_at) VALUES " . implode( ', ', $values ) . "
		ON DUPLICATE KEY UPDATE
			attempts = IF(state IN ('posted', 'held', 'discarded') OR (state = 'failed' AND run_id = VALUES(run_id)), attempts, attempts + 1),
			retryable = IF(state IN ('posted', 'held', 'discarded'), retryable, VALUES(retryable)),
			error_code = IF(state IN ('posted', 'held', 'discarded'), error_code, VALUES(error_code)),
			error_message = IF(state IN ('posted', 'held', 'discarded'), error_message, VALUES(error_message)),
			retry_at = IF(state IN ('posted', 'held', 'discarded') OR VALUES(retry_at) IS NULL, NULL, GREATEST(VALUES(retry_at), VALUES(updated_at) + INTERVAL CAST({$backoff} AS UNSIGNED) SECOND)),
			updated_at = IF(state IN ('posted', 'held', 'discarded'), updated_at, VALUES(updated_at)),
			run_id = IF(state IN ('posted', 'held', 'discarded'), run_id, VALUES(run_id)),
			state = IF(state IN ('posted', 'held', 'discarded'), state, 'failed')"
	);
}

/**
 * When the feed's earliest item waiting for a retry is due (a UTC DATETIME), or null when none waits.
 *
 * @since 0.1.0
 */
function next_retry_at( int $feed_id ): ?string {
	global $wpdb;
	$table = Schema\items_table();
	$good  = failed_for_good_sql();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name and condition are ours.
	$next = $wpdb->get_var( $wpdb->prepare( "SELECT MIN(retry_at) FROM {$table} WHERE feed_id = %d AND state = 'failed' AND retry_at IS NOT NULL AND NOT {$good}", $feed_id ) );
	return null === $next ? null : (string) $next;
}

/**
 * What a failed item waits for, in words ("Waiting to retry at 10:42 (rate limited by the model)"), or
 * null when it does not wait for a retry of its own.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $item A ledger row (from_row()).
 */
function retry_note( array $item ): ?string {
	if ( 'failed' !== $item['state'] || empty( $item['retry_at'] ) || $item['failed_for_good'] ) {
		return null;
	}
	$reasons = array(
		'model_rate_limited' => __( 'rate limited by the model', 'automationtools-ai' ),
		'model_unavailable'  => __( 'the model was unavailable', 'automationtools-ai' ),
		'model_timeout'      => __( 'the model did not answer in time', 'automationtools-ai' ),
		'model_unreachable'  => __( 'the model could not be reached', 'automationtools-ai' ),
	);
	$at     = Clock\timestamp( $item['retry_at'] );
	$format = wp_date( 'Y-m-d', $at ) === wp_date( 'Y-m-d' ) ? get_option( 'time_format' ) : get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
	return sprintf(
		/* translators: 1: a time (or a date and time), 2: why, e.g. "rate limited by the model". */
		__( 'Waiting to retry at %1$s (%2$s)', 'automationtools-ai' ),
		wp_date( $format, $at ),
		$reasons[ $item['error_code'] ] ?? __( 'a failure that will pass', 'automationtools-ai' )
	);
}

/**
 * Record the entries a run's filters left out (the worker's SkippedEntries), in one statement.
 *
 * A key that is posted or being imported stays as it is; any other becomes skipped with the reason,
 * once: seeing the same run again changes nothing.
 *
 * @since 0.3.0
 *
 * @param int                              $feed_id Feed ID.
 * @param string                           $run_id  Run ID.
 * @param array<int, array<string, mixed>> $skipped Run.skipped from the worker.
 */
function record_skipped( int $feed_id, string $run_id, array $skipped ): void {
	global $wpdb;
	if ( ! $skipped ) {
		return;
	}
	$now    = Clock\utc();
	$values = array();
	foreach ( $skipped as $entry ) {
		$values[] = $wpdb->prepare(
			"(%s, %d, %s, %s, %s, %s, 'skipped', 0, %s, %s, %s, %s)",
			$entry['key'],
			$feed_id,
			$run_id,
			fit( $entry['guid'], 2048 ),
			fit( $entry['link'], 2048 ),
			fit( $entry['title'], 300 ),
			fit( $entry['code'], 64 ),
			(string) $entry['reason'],
			$now,
			$now
		);
	}
	$table = Schema\items_table();
	// Assignments run left to right: the state is decided last, from the old one.
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- values are prepared above; table name is ours.
	$wpdb->query(
		"INSERT INTO {$table} (item_key, feed_id, run_id, guid, link, title, state, retryable, error_code, error_message, created_at, updated_at) VALUES " . implode( ', ', $values ) . "
		ON DUPLICATE KEY UPDATE
			error_code = IF(state IN ('posted', 'importing', 'skipped'), error_code, VALUES(error_code)),
			error_message = IF(state IN ('posted', 'importing', 'skipped'), error_message, VALUES(error_message)),
			updated_at = IF(state IN ('posted', 'importing', 'skipped'), updated_at, VALUES(updated_at)),
			run_id = IF(state IN ('posted', 'importing', 'skipped'), run_id, VALUES(run_id)),
			retryable = IF(state IN ('posted', 'importing', 'skipped'), retryable, 0),
			state = IF(state IN ('posted', 'importing'), state, 'skipped')"
	);
}

/**
 * How many of a run's items are in each state.
 *
 * @since 0.3.0
 *
 * @return array<string, int> Count by state (states without items are missing).
 */
function counts_in_run( string $run_id ): array {
	global $wpdb;
	$table = Schema\items_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$rows = $wpdb->get_results( $wpdb->prepare( "SELECT state, COUNT(*) AS items FROM {$table} WHERE run_id = %s GROUP BY state", $run_id ), ARRAY_A );
	return array_map( 'intval', array_column( $rows ?: array(), 'items', 'state' ) );
}

/**
 * Keys the worker should skip for a feed, newest first, at most SEEN_KEYS_CAP.
 *
 * Posted, importing, skipped (as duplicates or by the filters), held for review, discarded, queued in
 * the feed's live run, failed for good, and waiting for a retry that is not due yet. Other retryable
 * failures are left out so the worker tries them again.
 *
 * @since 0.1.0
 *
 * @param int         $feed_id  Feed ID.
 * @param string|null $live_run The feed's current run, whose queued items are in progress.
 * @return string[]
 */
function seen_keys( int $feed_id, ?string $live_run ): array {
	global $wpdb;
	$table = Schema\items_table();
	$good  = failed_for_good_sql();
	return $wpdb->get_col(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name and condition are ours.
			"SELECT item_key FROM {$table} WHERE feed_id = %d AND (state IN ('posted', 'importing', 'skipped', 'held', 'discarded') OR (state = 'queued' AND run_id = %s) OR {$good} OR (state = 'failed' AND retry_at > %s)) ORDER BY updated_at DESC, id DESC LIMIT %d",
			$feed_id,
			(string) $live_run,
			Clock\utc(),
			SEEN_KEYS_CAP
		)
	);
}

/**
 * Give an item that failed for good its tries back, so the feed's next run asks the worker for it again.
 *
 * @since 0.2.0
 *
 * @return bool Whether the item was failed and is now to be tried again.
 */
function try_again( string $key ): bool {
	global $wpdb;
	$table = Schema\items_table();
	return 1 === $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET attempts = 0, retryable = 1, retry_at = NULL, updated_at = %s WHERE item_key = %s AND state = 'failed'",
			Clock\utc(),
			$key
		)
	);
}

/**
 * Whether a feed has failed items the worker should try again.
 *
 * @since 0.1.0
 */
function has_retryable_failures( int $feed_id ): bool {
	global $wpdb;
	$table = Schema\items_table();
	$good  = failed_for_good_sql();
	return null !== $wpdb->get_var(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name and condition are ours.
		$wpdb->prepare( "SELECT 1 FROM {$table} WHERE feed_id = %d AND state = 'failed' AND NOT {$good} LIMIT 1", $feed_id )
	);
}

/**
 * Release the queued rows of a run that ended or was lost.
 *
 * Rows that failed before go back to failed (keeping their attempts); rows that never got
 * anywhere are deleted, so the next run plans them afresh.
 *
 * @since 0.1.0
 */
function release_run( string $run_id ): void {
	global $wpdb;
	$table = Schema\items_table();
	// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET state = 'failed' WHERE run_id = %s AND state = 'queued' AND attempts > 0", $run_id ) );
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE run_id = %s AND state = 'queued'", $run_id ) );
	// phpcs:enable
}

/**
 * How many of a run's items failed.
 *
 * @since 0.1.0
 */
function count_failed_in_run( string $run_id ): int {
	global $wpdb;
	$table = Schema\items_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE run_id = %s AND state = 'failed'", $run_id ) );
}

/**
 * Posts made per feed.
 *
 * @since 0.1.0
 *
 * @param int[] $feed_ids Feed IDs.
 * @return array<int, int> Count by feed ID (every given ID present).
 */
function count_posted( array $feed_ids ): array {
	global $wpdb;
	$feed_ids = array_values( array_unique( array_map( 'intval', $feed_ids ) ) );
	$counts   = array_fill_keys( $feed_ids, 0 );
	if ( ! $feed_ids ) {
		return $counts;
	}
	$table = Schema\items_table();
	$in    = implode( ',', $feed_ids );
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours and the IDs are integers.
	$rows = $wpdb->get_results( "SELECT feed_id, COUNT(*) AS posts FROM {$table} WHERE feed_id IN ({$in}) AND state = 'posted' GROUP BY feed_id", ARRAY_A );
	foreach ( $rows as $row ) {
		$counts[ (int) $row['feed_id'] ] = (int) $row['posts'];
	}
	return $counts;
}

/**
 * A feed's most recently changed items.
 *
 * @since 0.1.0
 *
 * @return array<int, array<string, mixed>>
 */
function recent( int $feed_id, int $limit = 50 ): array {
	global $wpdb;
	$table = Schema\items_table();
	$rows  = $wpdb->get_results(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->prepare( "SELECT * FROM {$table} WHERE feed_id = %d ORDER BY updated_at DESC, id DESC LIMIT %d", $feed_id, $limit ),
		ARRAY_A
	);
	return array_map( __NAMESPACE__ . '\\from_row', $rows ?: array() );
}

/**
 * One item by key, or null.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>|null
 */
function get( string $key ): ?array {
	global $wpdb;
	$table = Schema\items_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE item_key = %s", $key ), ARRAY_A );
	return $row ? from_row( $row ) : null;
}

/**
 * A ledger row with typed values.
 *
 * @since 0.1.0
 *
 * @param array<string, string|null> $row Row from the items table.
 * @return array<string, mixed>
 */
function from_row( array $row ): array {
	$attempts  = (int) $row['attempts'];
	$retryable = '1' === (string) $row['retryable'];
	return array(
		'key'             => $row['item_key'],
		'feed_id'         => (int) $row['feed_id'],
		'run_id'          => $row['run_id'],
		'guid'            => $row['guid'],
		'link'            => $row['link'],
		'title'           => $row['title'],
		'state'           => $row['state'],
		'post_id'         => (int) $row['post_id'],
		'attempts'        => $attempts,
		'retryable'       => $retryable,
		'failed_for_good' => 'failed' === $row['state'] && ( ! $retryable || ( $attempts >= MAX_ATTEMPTS && null === $row['retry_at'] ) ),
		'error_code'      => $row['error_code'],
		'error_message'   => (string) $row['error_message'],
		'retry_at'        => $row['retry_at'],
		'notes'           => (string) ( $row['notes'] ?? '' ),
		'source_changed'  => $row['source_changed_at'] ?? null,
		'created_at'      => $row['created_at'],
		'updated_at'      => $row['updated_at'],
	);
}
