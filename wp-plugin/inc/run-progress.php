<?php
/**
 * A run's progress, for "Run now" followed live: where the worker is (queued, fetching, n of m entries done)
 * and what became of the items (posted, held for review, skipped, failed), with the new posts.
 *
 * Polling is cheap: the worker's side is a summary that collect() keeps of each run it fetches (a transient),
 * and a poll collects the feed itself at most every COLLECT_EVERY seconds, so posts appear as the worker
 * hands them over and the run document stays small (collected drafts are acknowledged and dropped).
 *
 * @package automationtools-ai
 */

namespace ATAI\Run_Progress;

use ATAI\Feed;
use ATAI\Runs;
use ATAI\Schema;

const SUMMARY_PREFIX = 'atai_run_summary_';
const POLLED_PREFIX  = 'atai_run_polled_';
/** A finished run's summary stays this long, so a reloaded page still shows how it ended. */
const KEEP_SECONDS = DAY_IN_SECONDS;
/** A poll collects the feed at most this often; the polls in between read what is recorded. */
const COLLECT_EVERY = 2;
/** New posts listed at most. */
const POSTS_LISTED = 50;

/**
 * Keep the worker's side of a run it just handed over (collect() calls this).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $run A contract Run.
 */
function remember( array $run ): void {
	$fetched = is_array( $run['feed'] ) ? $run['feed'] : null;
	$pending = count( array_filter( $run['items'], static fn( $item ) => 'pending' === $item['state'] ) );
	$planned = null === $fetched ? 0 : max( 0, $fetched['entries_new'] - $fetched['entries_deferred'] );
	$summary = array(
		'state'        => $run['state'],
		'mode'         => $run['rewrite']['mode'],
		'fetched'      => null !== $fetched,
		'not_modified' => null !== $fetched && $fetched['not_modified'],
		'planned'      => $planned,
		'done'         => max( 0, $planned - $pending ),
		'error'        => is_array( $run['error'] ) ? \ATAI\Messages\localized( $run['error'] )['message'] : '',
	);
	set_transient( SUMMARY_PREFIX . $run['run_id'], $summary, KEEP_SECONDS );
}

/**
 * What the ledger says of a run's items: posted, held for review (posted as pending), skipped, failed, waiting.
 *
 * @since 0.2.0
 *
 * @return array{posted: int, held: int, skipped: int, failed: int, waiting: int}
 */
function item_counts( string $run_id ): array {
	global $wpdb;
	$counts = array(
		'posted'  => 0,
		'held'    => 0,
		'skipped' => 0,
		'failed'  => 0,
		'waiting' => 0,
	);
	$table  = Schema\items_table();
	$rows   = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours and core's.
			"SELECT i.state, p.post_status, COUNT(*) AS items FROM {$table} i LEFT JOIN {$wpdb->posts} p ON p.ID = i.post_id WHERE i.run_id = %s GROUP BY i.state, p.post_status",
			$run_id
		),
		ARRAY_A
	);
	foreach ( $rows ?: array() as $row ) {
		$number = (int) $row['items'];
		if ( 'posted' === $row['state'] ) {
			$counts[ 'pending' === $row['post_status'] ? 'held' : 'posted' ] += $number;
		} elseif ( 'discarded' === $row['state'] ) {
			$counts['skipped'] += $number;
		} elseif ( isset( $counts[ $row['state'] ] ) ) {
			$counts[ $row['state'] ] += $number;
		} else {
			$counts['waiting'] += $number;
		}
	}
	return $counts;
}

/**
 * The posts a run made, newest first: title, status in words, links.
 *
 * @since 0.2.0
 *
 * @return array<int, array{id: int, title: string, status: string, edit_link: string, view_link: string}>
 */
function new_posts( string $run_id ): array {
	global $wpdb;
	$table = Schema\items_table();
	$ids   = $wpdb->get_col(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->prepare( "SELECT post_id FROM {$table} WHERE run_id = %s AND state IN ('posted', 'held') AND post_id > 0 ORDER BY updated_at DESC, id DESC LIMIT %d", $run_id, POSTS_LISTED )
	);
	$posts = array();
	foreach ( array_map( 'intval', $ids ) as $post_id ) {
		$post = get_post( $post_id );
		if ( ! $post ) {
			continue;
		}
		$posts[] = array(
			'id'        => $post_id,
			// Plain text: the panel's script writes it as text, the page escapes it.
			'title'     => html_entity_decode( get_the_title( $post ), ENT_QUOTES | ENT_HTML5, 'UTF-8' ),
			'status'    => (string) get_post_status_object( $post->post_status )?->label,
			'edit_link' => (string) get_edit_post_link( $post_id, 'raw' ),
			'view_link' => (string) get_permalink( $post ),
		);
	}
	return $posts;
}

/**
 * A run's progress in words and figures.
 *
 * @since 0.2.0
 *
 * @param Feed   $feed   The feed.
 * @param string $run_id The run.
 * @return array<string, mixed>
 */
function progress( Feed $feed, string $run_id ): array {
	$running = $feed->run_id === $run_id;
	$summary = get_transient( SUMMARY_PREFIX . $run_id );
	$summary = is_array( $summary ) ? $summary : null;
	$counts  = item_counts( $run_id );
	$done    = $summary['done'] ?? 0;
	$total   = $summary['planned'] ?? 0;
	if ( ! $running ) {
		$phase   = null !== $summary && 'failed' === $summary['state'] ? 'failed' : 'finished';
		$message = 'failed' === $phase ? sprintf(
			/* translators: %s: why the run failed, in words. */
			__( 'The run failed: %s', 'automationtools-ai' ),
			'' !== $summary['error'] ? $summary['error'] : $feed->last_error
		) : outcome( $counts );
	} elseif ( null === $summary || 'queued' === $summary['state'] ) {
		$phase   = 'queued';
		$message = __( 'Queued: the worker starts on it in a moment.', 'automationtools-ai' );
	} elseif ( ! $summary['fetched'] ) {
		$phase   = 'fetching';
		$message = __( 'Fetching the feed…', 'automationtools-ai' );
	} elseif ( in_array( $summary['state'], array( 'done', 'failed' ), true ) ) {
		$phase   = 'importing';
		$message = __( 'The worker is done; making the posts…', 'automationtools-ai' );
	} else {
		$phase   = 'ai' === $summary['mode'] ? 'rewriting' : 'extracting';
		$message = sprintf(
			'ai' === $summary['mode']
				/* translators: 1: entries done, 2: entries in the run. */
				? __( 'Rewriting %1$d of %2$d…', 'automationtools-ai' )
				/* translators: 1: entries done, 2: entries in the run. */
				: __( 'Extracting %1$d of %2$d…', 'automationtools-ai' ),
			min( $done + 1, $total ),
			$total
		);
	}
	return array(
		'run_id'  => $run_id,
		'running' => $running,
		'phase'   => $phase,
		'message' => $message,
		'done'    => $done,
		'total'   => $total,
		'counts'  => $counts,
		'posts'   => new_posts( $run_id ),
	);
}

/**
 * How a finished run ended, in words.
 *
 * @since 0.2.0
 *
 * @param array{posted: int, held: int, skipped: int, failed: int, waiting: int} $counts Item counts.
 */
function outcome( array $counts ): string {
	if ( 0 === $counts['posted'] + $counts['held'] + $counts['skipped'] + $counts['failed'] ) {
		return __( 'Finished: nothing new in the feed.', 'automationtools-ai' );
	}
	return sprintf(
		/* translators: 1: posts made, 2: posts held for review, 3: items skipped, 4: items failed. */
		__( 'Finished: %1$d posted, %2$d held for review, %3$d skipped, %4$d failed.', 'automationtools-ai' ),
		$counts['posted'],
		$counts['held'],
		$counts['skipped'],
		$counts['failed']
	);
}

/**
 * One poll: collect the feed's run when it is due (at most every COLLECT_EVERY seconds), then its progress.
 *
 * @since 0.2.0
 *
 * @param Feed   $feed   The feed.
 * @param string $run_id The run.
 * @return array<string, mixed>
 */
function poll( Feed $feed, string $run_id ): array {
	if ( $feed->run_id === $run_id && false === get_transient( POLLED_PREFIX . $run_id ) ) {
		set_transient( POLLED_PREFIX . $run_id, 1, COLLECT_EVERY );
		// A failure stays on the feed row, as the tick's would; the poll shows what is recorded.
		Runs\collect( $feed, microtime( true ) + 5 );
		$feed = \ATAI\Feeds\get( $feed->id ) ?? $feed;
	}
	return progress( $feed, $run_id );
}
