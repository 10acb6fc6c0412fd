<?php
/**
 * Changes at the source: a posted item whose entry changed is flagged on the feed's items list, and,
 * when the feed says so, its post is refreshed (WordPress keeps the old text as a revision).
 *
 * Each posted item keeps the worker's hash of its entry (Draft.source_hash, in the ledger). Every run
 * request sends the feed's most recent posted items with their hashes (RunRequest.known); the worker
 * sends a draft again, marked source_changed, for an entry whose hash is now different. The plugin also
 * keeps the item's notes here: what the worker or the import noticed (an image refused, the full text
 * unavailable), shown beside the post on the items list.
 *
 * @package automationtools-ai
 */

namespace ATAI\Source_Changes;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Ledger;
use ATAI\Media;
use ATAI\Post_Data;
use ATAI\Posts;
use ATAI\Schema;

/** How many recent posts of a feed are followed for changes. */
const KNOWN_LIMIT = 500;

/**
 * The feed option of changes at the source.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'on_source_change' => array(
			'group'   => 'source',
			'type'    => 'enum',
			'default' => 'flag',
			'choices' => array(
				'flag'    => __( 'Flag the post on the items list', 'automationtools-ai' ),
				'refresh' => __( 'Flag it and refresh the post (the old text stays as a revision)', 'automationtools-ai' ),
			),
			'label'   => __( 'When the source changes', 'automationtools-ai' ),
			'help'    => __( 'The most recent 500 posts of the feed are followed.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * The feed's recent posted items with their source hash, as RunRequest.known.
 *
 * @since 0.2.0
 *
 * @return array<int, array{key: string, source_hash: string}>
 */
function known( int $feed_id ): array {
	global $wpdb;
	$table = Schema\items_table();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT item_key AS `key`, source_hash FROM {$table} WHERE feed_id = %d AND state = 'posted' AND source_hash <> '' ORDER BY updated_at DESC, id DESC LIMIT %d",
			$feed_id,
			KNOWN_LIMIT
		),
		ARRAY_A
	);
	return $rows ? $rows : array();
}

/**
 * Handle a draft of an entry whose source changed: flag its post, refresh it if the feed says so.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed>  $draft A contract Draft with source_changed true.
 * @param Feed                  $feed  The feed.
 * @param Posts\Import_Batch    $batch The open batch.
 * @return int|null 0 when handled (nothing new posted); null when the item has no post (import it as new).
 */
function handle( array $draft, Feed $feed, Posts\Import_Batch $batch ): ?int {
	$item = Ledger\get( $draft['key'] );
	if ( null === $item || 'posted' !== $item['state'] || ! get_post( $item['post_id'] ) ) {
		return null;
	}
	$when = wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ) );
	if ( 'refresh' === $feed->options['on_source_change'] ) {
		$prepared = Post_Data\prepare( $draft, $feed, $batch->deadline );
		$update   = array(
			'ID'           => $item['post_id'],
			'post_title'   => $prepared['postarr']['post_title'],
			'post_content' => $prepared['postarr']['post_content'],
			'post_excerpt' => $prepared['postarr']['post_excerpt'],
		);
		wp_update_post( wp_slash( $update ) );
		if ( ! empty( $prepared['meta']['_thumbnail_id'] ) ) {
			set_post_thumbnail( $item['post_id'], (int) $prepared['meta']['_thumbnail_id'] );
		}
		Media\after_import( $item['post_id'], $prepared['pending'] );
		/* translators: %s: date and time. */
		$note = sprintf( __( 'The source changed; the post was refreshed on %s (the earlier text is a revision).', 'automationtools-ai' ), $when );
	} else {
		/* translators: %s: date and time. */
		$note = sprintf( __( 'The source changed (seen on %s); the post was left as it was.', 'automationtools-ai' ), $when );
	}
	record( $draft['key'], (string) ( $draft['source_hash'] ?? '' ), $note );
	return 0;
}

/**
 * Note a change on the item: its new hash, when it was seen, and a line of notes.
 *
 * @since 0.2.0
 */
function record( string $key, string $source_hash, string $note ): void {
	global $wpdb;
	$table = Schema\items_table();
	$wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET source_hash = %s, source_changed_at = %s, notes = TRIM(BOTH '\n' FROM CONCAT(COALESCE(notes, ''), '\n', %s)), updated_at = %s WHERE item_key = %s",
			$source_hash,
			Clock\utc(),
			$note,
			Clock\utc(),
			$key
		)
	);
}

/**
 * Add lines to the notes of the item that made a post (images copied later that failed, for one).
 *
 * @since 0.2.0
 *
 * @param int      $post_id The post.
 * @param string[] $notes   Lines to add.
 */
function add_notes( int $post_id, array $notes ): void {
	global $wpdb;
	if ( ! $notes ) {
		return;
	}
	$table = Schema\items_table();
	$wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"UPDATE {$table} SET notes = TRIM(BOTH '\n' FROM CONCAT(COALESCE(notes, ''), '\n', %s)) WHERE post_id = %d AND state IN ('posted', 'held')",
			implode( "\n", $notes ),
			$post_id
		)
	);
}
