<?php
/**
 * Skipped items (issue #12): a draft whose story the site has posted already is recorded with its reason
 * and kept in {prefix}atai_skips, so the items list can say which post it matched and "Import anyway"
 * can post it after all. A newer version of a story (more text, a correction) can flag the post instead.
 *
 * @package automationtools-ai
 */

namespace ATAI\Skips;

use ATAI\Clock;
use ATAI\Dedupe;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Posts;
use ATAI\Posts\Import_Batch;
use ATAI\Schema;
use ATAI\Transaction;
use WP_Error;

/** Post meta: a newer version of this post's story arrived (a feed with "flag updates" on). */
const META_UPDATE = '_atai_update_available';

/**
 * The feed option of this file: flag the earlier post when its story comes back longer or corrected.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'flag_updates' => array(
			'group'   => 'post',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Updated stories', 'automationtools-ai' ),
			'box'     => __( 'Flag the earlier post when a story comes back with more text or a correction', 'automationtools-ai' ),
			'help'    => __( 'A story this site has posted is never posted twice. With this on, when it comes back longer or corrected, the earlier post is marked for review (the item says which) instead of only being skipped.', 'automationtools-ai' ),
		),
	);
}

/**
 * The CREATE TABLE statement of the skips table, in dbDelta's format.
 *
 * @since 0.2.0
 *
 * @return string[]
 */
function statements( string $charset ): array {
	$skips = skips_table();
	return array(
		"CREATE TABLE {$skips} (
  item_key char(64) NOT NULL,
  feed_id bigint(20) unsigned NOT NULL,
  post_id bigint(20) unsigned NOT NULL,
  layer varchar(16) NOT NULL,
  similarity float NOT NULL DEFAULT 1,
  flagged tinyint(1) NOT NULL DEFAULT 0,
  draft longblob NOT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (item_key),
  KEY post_id (post_id)
) {$charset};",
	);
}

/**
 * The skipped items table name.
 *
 * @since 0.2.0
 */
function skips_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_skips';
}

/**
 * Why a draft was skipped, in words: "Same story as post 812 "Title", from feed "Y" (similarity 0.91)".
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $match  From find_match() or a skips row (post_id, post_title, feed_title, layer, similarity).
 */
function reason( array $match ): string {
	switch ( $match['layer'] ) {
		case 'same_url':
			$how = __( 'same article address', 'automationtools-ai' );
			break;
		case 'same_text':
			$how = __( 'same text', 'automationtools-ai' );
			break;
		default:
			/* translators: %s: similarity between 0 and 1, e.g. 0.91. */
			$how = sprintf( __( 'similarity %s', 'automationtools-ai' ), number_format_i18n( (float) $match['similarity'], 2 ) );
	}
	$text = sprintf(
		/* translators: 1: post ID, 2: post title, 3: feed title, 4: how they match, e.g. "similarity 0.91". */
		__( 'Same story as post %1$d "%2$s", from feed "%3$s" (%4$s).', 'automationtools-ai' ),
		$match['post_id'],
		wp_strip_all_tags( (string) $match['post_title'] ),
		(string) $match['feed_title'],
		$how
	);
	if ( ! empty( $match['flagged'] ) ) {
		$text .= ' ' . __( 'It had more text or a correction: the post is flagged for review.', 'automationtools-ai' );
	}
	return $text;
}

/**
 * Whether a draft of a known story is a newer version worth flagging: more text, or the same article
 * (address) with changed text.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $identity The new draft's Identity.
 * @param array<string, mixed> $match    From find_match().
 */
function is_update( array $identity, array $match ): bool {
	$words = (int) ( $identity['words'] ?? 0 );
	return $words > $match['words'] * 1.1 + 10 || ( 'same_url' === $match['layer'] && ! $match['same_text'] && null !== ( $identity['text_hash'] ?? null ) );
}

/**
 * Record a claimed draft as skipped: the same story as a post made before (inside the import's transaction).
 *
 * With the feed's "flag updates" on, a draft with more text or a corrected text of the same article
 * flags that post instead.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 * @param array<string, mixed> $match From Dedupe\find_match().
 * @return int|WP_Error 0, or why the skip could not be recorded.
 */
function skip( array $draft, Feed $feed, array $match ) {
	$match['flagged'] = ! empty( $feed->options['flag_updates'] ) && is_update( $draft['identity'], $match );
	$codes            = array(
		'same_url'     => 'duplicate_url',
		'same_text'    => 'duplicate_text',
		'similar_text' => 'near_duplicate',
	);
	if ( ! record_skip( $draft, $feed->id, $match ) || ! Ledger\mark_skipped( $draft['key'], $codes[ $match['layer'] ], reason( $match ) ) ) {
		Transaction\rollback();
		return new WP_Error( 'import_db_error', __( 'import: the database refused to record the duplicate.', 'automationtools-ai' ) );
	}
	if ( $match['flagged'] ) {
		flag_update( $match['post_id'], $draft['key'], $feed->id );
	}
	if ( ! Transaction\commit() ) {
		return new WP_Error( 'import_db_error', __( 'import: the database could not commit the duplicate\'s record.', 'automationtools-ai' ) );
	}
	return 0;
}

/**
 * Record a skipped draft (inside the import's transaction): its match, and the draft for "Import anyway".
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft   The contract Draft.
 * @param int                  $feed_id Its feed.
 * @param array<string, mixed> $match   From find_match(), with 'flagged'.
 */
function record_skip( array $draft, int $feed_id, array $match ): bool {
	global $wpdb;
	$done = $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			'REPLACE INTO ' . skips_table() . ' (item_key, feed_id, post_id, layer, similarity, flagged, draft, created_at) VALUES (%s, %d, %d, %s, %f, %d, FROM_BASE64(%s), %s)',
			$draft['key'],
			$feed_id,
			$match['post_id'],
			$match['layer'],
			$match['similarity'],
			empty( $match['flagged'] ) ? 0 : 1,
			base64_encode( gzcompress( (string) wp_json_encode( $draft ) ) ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- keeps the query plain text; MariaDB stores the bytes.
			Clock\utc()
		)
	);
	return false !== $done && $done > 0;
}

/**
 * Flag a post: a newer version of its story arrived through an item.
 *
 * @since 0.2.0
 */
function flag_update( int $post_id, string $key, int $feed_id ): void {
	update_post_meta(
		$post_id,
		META_UPDATE,
		array(
			'item_key' => $key,
			'feed_id'  => $feed_id,
			'at'       => Clock\utc(),
		)
	);
}

/**
 * The skips of some items, by item key, with the matched post's current title and the feed's.
 *
 * @since 0.2.0
 *
 * @param string[] $keys Item keys.
 * @return array<string, array{post_id: int, post_title: string, feed_id: int, feed_title: string, layer: string, similarity: float, flagged: bool, message: string}>
 */
function skips( array $keys ): array {
	global $wpdb;
	if ( ! $keys ) {
		return array();
	}
	$in    = implode( ', ', array_map( static fn( $key ) => $wpdb->prepare( '%s', $key ), $keys ) );
	$feeds = Schema\feeds_table();
	$rows  = $wpdb->get_results(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- keys prepared above; table names are ours.
		'SELECT s.item_key, s.post_id, s.layer, s.similarity, s.flagged, p.post_title, i.feed_id, f.title AS feed_title, f.url AS feed_url FROM ' . skips_table() . " s LEFT JOIN {$wpdb->posts} p ON p.ID = s.post_id LEFT JOIN " . Dedupe\identities_table() . " i ON i.post_id = s.post_id LEFT JOIN {$feeds} f ON f.id = i.feed_id WHERE s.item_key IN ({$in})",
		ARRAY_A
	);
	$skips = array();
	foreach ( $rows ?: array() as $row ) {
		$skip                        = array(
			'post_id'    => (int) $row['post_id'],
			'post_title' => (string) $row['post_title'],
			'feed_id'    => (int) $row['feed_id'],
			'feed_title' => '' !== (string) $row['feed_title'] ? (string) $row['feed_title'] : (string) $row['feed_url'],
			'layer'      => $row['layer'],
			'similarity' => round( (float) $row['similarity'], 2 ),
			'flagged'    => '1' === (string) $row['flagged'],
		);
		$skip['message']             = reason( $skip );
		$skips[ $row['item_key'] ] = $skip;
	}
	return $skips;
}

/**
 * The skips of the skipped ones among some ledger rows, by item key.
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $items Ledger rows (Ledger\recent()).
 * @return array<string, array<string, mixed>>
 */
function skips_of( array $items ): array {
	return skips( array_column( array_filter( $items, static fn( $item ) => 'skipped' === $item['state'] ), 'key' ) );
}

/**
 * Make the post of a skipped item after all ("Import anyway").
 *
 * @since 0.2.0
 *
 * @return int|WP_Error The new post's ID.
 */
function import_anyway( string $key ) {
	global $wpdb;
	$row = $wpdb->get_row(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->prepare( 'SELECT feed_id, draft FROM ' . skips_table() . ' WHERE item_key = %s', $key ),
		ARRAY_A
	);
	$draft = $row ? json_decode( (string) gzuncompress( $row['draft'] ), true ) : null;
	$feed  = $row ? Feeds\get( (int) $row['feed_id'] ) : null;
	if ( ! is_array( $draft ) || null === $feed ) {
		return new WP_Error( 'atai_not_skipped', __( 'This item was not skipped as a duplicate, or its feed was deleted: there is nothing to import.', 'automationtools-ai' ), array( 'status' => 404 ) );
	}
	$batch = Import_Batch::begin();
	try {
		$post_id = Posts\import_draft( $draft, $feed, 'import-anyway', $batch, true );
	} finally {
		$batch->end();
	}
	if ( is_wp_error( $post_id ) ) {
		return $post_id;
	}
	if ( 0 === $post_id ) {
		return new WP_Error( 'atai_not_skipped', __( 'This item already has its post.', 'automationtools-ai' ), array( 'status' => 409 ) );
	}
	return $post_id;
}

/**
 * Forget the skip of an item that now has its post (inside the import's transaction).
 *
 * @since 0.2.0
 */
function forget_skip( string $key ): void {
	global $wpdb;
	$wpdb->delete( skips_table(), array( 'item_key' => $key ) );
}
