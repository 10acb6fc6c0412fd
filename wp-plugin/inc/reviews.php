<?php
/**
 * The review queue: drafts a check holds (Draft.hold), or every draft of a feed whose review option is
 * "always", become pending posts that wait for a person. The ledger marks them held; the source each was
 * made from waits beside it in {prefix}atai_reviews for the review screen. Approving publishes the post with
 * its feed's status and records who approved it; discarding trashes the post and marks the item discarded,
 * so it never comes back. Publishing or trashing a held post in the WordPress editor counts the same.
 *
 * @package automationtools-ai
 */

namespace ATAI\Reviews;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Posts;
use ATAI\Schema;
use WP_Error;
use WP_Post;

const META_APPROVED_BY = '_atai_approved_by';
const META_APPROVED_AT = '_atai_approved_at';

/** The largest source kept for review; a longer one is kept up to its last whole block before it. */
const SOURCE_MAX_BYTES = 1048576;

/** Statuses that make a held post public (or scheduled): a person approved it. */
const APPROVING_STATUSES = array( 'publish', 'future', 'private' );

/**
 * The feed option of this feature.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'review' => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'checks',
			'choices' => array(
				'checks' => __( 'Drafts a check holds', 'automationtools-ai' ),
				'always' => __( 'Every draft', 'automationtools-ai' ),
			),
			'label'   => __( 'Review before publishing', 'automationtools-ai' ),
			'help'    => __( 'Drafts under review wait as pending posts in AutomationTools.AI > Review, beside their source.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * Whether a draft waits for review: a check holds it, or its feed reviews every draft.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  Its feed.
 */
function held( array $draft, Feed $feed ): bool {
	return ! empty( $draft['hold'] ) || 'always' === ( $feed->options['review'] ?? 'checks' );
}

/**
 * The status a draft's post is created with: pending while it waits, else the feed's.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  Its feed.
 */
function post_status( array $draft, Feed $feed ): string {
	return held( $draft, $feed ) ? 'pending' : $feed->post_status;
}

/**
 * Keep a held draft's source for the review screen (inside the import's transaction); true when not held.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft   A contract Draft.
 * @param Feed                 $feed    Its feed.
 * @param int                  $post_id Its post.
 */
function remember( array $draft, Feed $feed, int $post_id ): bool {
	global $wpdb;
	if ( ! held( $draft, $feed ) ) {
		return true;
	}
	$table = Schema\reviews_table();
	return false !== $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"REPLACE INTO {$table} (item_key, feed_id, post_id, source_html, created_at) VALUES (%s, %d, %d, %s, %s)",
			$draft['key'],
			$feed->id,
			$post_id,
			bounded_source( is_string( $draft['source_html'] ?? null ) ? $draft['source_html'] : '' ),
			Clock\utc()
		)
	);
}

/**
 * A source within SOURCE_MAX_BYTES, cut after its last closing tag that fits (never inside a tag).
 *
 * @since 0.2.0
 */
function bounded_source( string $html ): string {
	if ( strlen( $html ) <= SOURCE_MAX_BYTES ) {
		return $html;
	}
	$head = substr( $html, 0, SOURCE_MAX_BYTES );
	$end  = strrpos( $head, '</' );
	$end  = false === $end ? false : strpos( $head, '>', $end );
	return ( false === $end ? '' : substr( $head, 0, $end + 1 ) ) . '<p>[…]</p>';
}

/**
 * How many drafts wait for review.
 *
 * @since 0.2.0
 */
function waiting_count(): int {
	global $wpdb;
	$table = Schema\items_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table} WHERE state = 'held'" );
}

/**
 * The drafts waiting, oldest first.
 *
 * @since 0.2.0
 *
 * @param int $limit   Most rows.
 * @param int $offset  Rows to skip.
 * @param int $feed_id Only this feed's (0: all).
 * @return array<int, array<string, mixed>> Ledger rows (Ledger\from_row()).
 */
function waiting( int $limit = 20, int $offset = 0, int $feed_id = 0 ): array {
	global $wpdb;
	$table = Schema\items_table();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT * FROM {$table} WHERE state = 'held' AND (%d = 0 OR feed_id = %d) ORDER BY updated_at, id LIMIT %d OFFSET %d",
			$feed_id,
			$feed_id,
			$limit,
			$offset
		),
		ARRAY_A
	);
	$items = array_map( 'ATAI\\Ledger\\from_row', $rows ?: array() );
	$ids   = array_filter( array_column( $items, 'post_id' ) );
	if ( $ids ) {
		_prime_post_caches( $ids, false, true );
	}
	return $items;
}

/**
 * The source a held draft was made from, or ''.
 *
 * @since 0.2.0
 */
function source_of( string $key ): string {
	global $wpdb;
	$table = Schema\reviews_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return (string) $wpdb->get_var( $wpdb->prepare( "SELECT source_html FROM {$table} WHERE item_key = %s", $key ) );
}

/**
 * A held item by key, or why not.
 *
 * @since 0.2.0
 *
 * @return array<string, mixed>|WP_Error The ledger row.
 */
function waiting_item( string $key ) {
	$item = Ledger\get( $key );
	if ( null === $item ) {
		return new WP_Error( 'atai_review_not_found', __( 'There is no such item.', 'automationtools-ai' ), array( 'status' => 404 ) );
	}
	if ( 'held' !== $item['state'] ) {
		return new WP_Error(
			'atai_review_not_waiting',
			/* translators: %s: the item's state, e.g. "posted". */
			sprintf( __( 'This draft no longer waits for review (it is %s).', 'automationtools-ai' ), $item['state'] ),
			array( 'status' => 409 )
		);
	}
	return $item;
}

/**
 * Approve a held draft: its post gets its feed's status (publish when the feed says pending), the approver is recorded.
 *
 * @since 0.2.0
 *
 * @param string $key     Item key.
 * @param int    $user_id Who approves.
 * @return array{key: string, state: string, post_id: int, post_status: string}|WP_Error
 */
function approve( string $key, int $user_id ) {
	$item = waiting_item( $key );
	if ( is_wp_error( $item ) ) {
		return $item;
	}
	$post = get_post( $item['post_id'] );
	if ( ! $post instanceof WP_Post ) {
		mark_discarded( $key );
		return new WP_Error( 'atai_review_post_gone', __( 'The draft\'s post was deleted; the item is marked discarded.', 'automationtools-ai' ), array( 'status' => 410 ) );
	}
	$feed   = Feeds\get( $item['feed_id'] );
	$status = $feed && 'pending' !== $feed->post_status ? $feed->post_status : 'publish';
	if ( $post->post_status !== $status ) {
		// Publishing runs on_status_change(), which records the approval as well; marking twice does nothing.
		$updated = wp_update_post(
			array(
				'ID'          => $post->ID,
				'post_status' => $status,
			),
			true
		);
		if ( is_wp_error( $updated ) ) {
			return $updated;
		}
	}
	mark_approved( $key, $post->ID, $user_id );
	return array(
		'key'         => $key,
		'state'       => 'posted',
		'post_id'     => $post->ID,
		'post_status' => (string) get_post_status( $post->ID ),
	);
}

/**
 * Discard a held draft: the item is marked discarded (it never comes back) and its post goes to the trash.
 *
 * @since 0.2.0
 *
 * @param string $key Item key.
 * @return array{key: string, state: string, post_id: int}|WP_Error
 */
function discard( string $key ) {
	$item = waiting_item( $key );
	if ( is_wp_error( $item ) ) {
		return $item;
	}
	mark_discarded( $key );
	if ( $item['post_id'] && get_post( $item['post_id'] ) ) {
		wp_trash_post( $item['post_id'] );
	}
	return array(
		'key'     => $key,
		'state'   => 'discarded',
		'post_id' => $item['post_id'],
	);
}

/**
 * Mark a held item posted and record who approved it (once: a second call finds it posted and does nothing).
 *
 * @since 0.2.0
 */
function mark_approved( string $key, int $post_id, int $user_id ): void {
	if ( set_state( $key, 'posted' ) ) {
		update_post_meta( $post_id, META_APPROVED_BY, $user_id );
		update_post_meta( $post_id, META_APPROVED_AT, Clock\rfc3339( Clock\utc() ) );
	}
}

/**
 * Mark a held item discarded (once).
 *
 * @since 0.2.0
 */
function mark_discarded( string $key ): void {
	set_state( $key, 'discarded' );
}

/**
 * Move a held item to another state and forget its source; false when it was not held.
 *
 * @since 0.2.0
 */
function set_state( string $key, string $state ): bool {
	global $wpdb;
	$items = Schema\items_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$done = $wpdb->query( $wpdb->prepare( "UPDATE {$items} SET state = %s, updated_at = %s WHERE item_key = %s AND state = 'held'", $state, Clock\utc(), $key ) );
	if ( 1 !== $done ) {
		return false;
	}
	$reviews = Schema\reviews_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$reviews} WHERE item_key = %s", $key ) );
	return true;
}

/**
 * A held post published in the editor counts as approved by whoever published it; trashed, as discarded.
 *
 * @since 0.2.0
 *
 * @param string  $new_status New status.
 * @param string  $old_status Old status.
 * @param WP_Post $post       The post.
 */
function on_status_change( $new_status, $old_status, $post ): void {
	// Held posts are pending; a post being created is not under review yet (its import decides).
	if ( 'pending' !== $old_status || ! $post instanceof WP_Post || 'post' !== $post->post_type ) {
		return;
	}
	$key = (string) get_post_meta( $post->ID, Posts\META_ITEM_KEY, true );
	if ( '' === $key ) {
		return;
	}
	if ( in_array( $new_status, APPROVING_STATUSES, true ) ) {
		mark_approved( $key, $post->ID, get_current_user_id() );
	} elseif ( 'trash' === $new_status ) {
		mark_discarded( $key );
	}
}

/**
 * A held post deleted for good counts as discarded.
 *
 * @since 0.2.0
 *
 * @param int $post_id Post ID.
 */
function on_delete( $post_id ): void {
	if ( 'pending' !== get_post_status( (int) $post_id ) ) {
		return;
	}
	$key = (string) get_post_meta( (int) $post_id, Posts\META_ITEM_KEY, true );
	if ( '' !== $key ) {
		mark_discarded( $key );
	}
}
