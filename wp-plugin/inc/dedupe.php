<?php
/**
 * One story, one post (issue #12): each post's identity, and the decision whether a draft is a story
 * the site has already posted, through another feed or under another guid.
 *
 * The worker sends each draft's identity (contract Identity): its canonical URL, a hash of its text,
 * a MinHash signature and the signature's LSH band keys. A post's identity is stored in
 * {prefix}atai_identities and its band keys in {prefix}atai_bands, both indexed, so the decision is one
 * query whatever the number of past posts. It is made inside the transaction that creates the post,
 * under a lock that every import of the site shares, so two overlapping collections never both post one
 * story. What happens to a skipped draft is inc/skips.php's job.
 *
 * @package automationtools-ai
 */

namespace ATAI\Dedupe;

use ATAI\Clock;
use ATAI\Schema;
use ATAI\Settings;

/** The prefix of the locks an import takes on its story before it decides (ATAI\Lock names them per site). */
const LOCK = 'dedupe';

/** Seconds an import waits for another request's imports to finish deciding. */
const LOCK_WAIT = 20;

/** Candidates read at most per decision (band collisions of unrelated posts are rare; this caps a flood). */
const MAX_CANDIDATES = 200;

/** Band keys per signature at most (contract Identity.bands). */
const MAX_BANDS = 42;

/** MinHash values per signature (contract Identity.minhash). */
const NUM_PERM = 128;

/**
 * The identities table name.
 *
 * @since 0.2.0
 */
function identities_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_identities';
}

/**
 * The LSH band keys table name.
 *
 * @since 0.2.0
 */
function bands_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_bands';
}

/**
 * The CREATE TABLE statements of this file's tables, in dbDelta's format.
 *
 * Hashes and band keys are binary (UNHEX of the worker's hex): half the index of a hex column. The
 * bands table is only its primary key, kept small (no date, no second index) because every new post
 * adds 42 rows at random places in it: with 100,000 posts it is 4.2 million rows, and the smaller it
 * is the more of it the database keeps in memory. A post's band keys are also kept with its identity,
 * to delete them with it.
 *
 * @since 0.2.0
 *
 * @return string[]
 */
function statements( string $charset ): array {
	$identities = identities_table();
	$bands      = bands_table();
	return array(
		"CREATE TABLE {$identities} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  post_id bigint(20) unsigned NOT NULL,
  feed_id bigint(20) unsigned NOT NULL DEFAULT 0,
  item_key char(64) NOT NULL DEFAULT '',
  url_hash binary(16) DEFAULT NULL,
  text_hash binary(16) DEFAULT NULL,
  words int(10) unsigned NOT NULL DEFAULT 0,
  minhash varbinary(" . ( 4 * NUM_PERM ) . ") DEFAULT NULL,
  bands varbinary(" . ( 8 * MAX_BANDS ) . ") DEFAULT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY url_hash (url_hash),
  KEY text_hash (text_hash),
  KEY post_id (post_id)
) {$charset};",
		"CREATE TABLE {$bands} (
  band_key binary(8) NOT NULL,
  identity_id bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (band_key,identity_id)
) {$charset};",
	);
}

/**
 * Wait for the locks of a draft's story (held for one import's transaction); false when others kept them
 * too long.
 *
 * One lock per way find_match() can find a story: its canonical URL, its text hash and each of its
 * LSH bands. Two drafts that could be judged the same story share at least one of them, so they decide
 * one after the other; drafts of different stories decide side by side.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed>|null $identity The draft's Identity.
 */
function hold_lock( ?array $identity ): bool {
	global $wpdb;
	$names = lock_names( $identity ?? array() );
	if ( ! $names ) {
		return true;
	}
	// In sorted order in one statement: two imports never each hold what the other waits for.
	$takes = implode( ' + ', array_map( static fn( string $name ) => $wpdb->prepare( 'COALESCE(GET_LOCK(%s, %d), 0)', $name, LOCK_WAIT ), $names ) );
	// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- each part is prepared above.
	if ( count( $names ) === (int) $wpdb->get_var( "SELECT {$takes}" ) ) {
		held_names( $names );
		return true;
	}
	release_names( $names );
	return false;
}

/**
 * Release the locks hold_lock() took.
 *
 * @since 0.2.0
 */
function release_lock(): void {
	release_names( held_names() );
	held_names( array() );
}

/**
 * The lock names of a story, sorted (ATAI\Lock names them per site).
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $identity An Identity.
 * @return string[]
 */
function lock_names( array $identity ): array {
	$keys     = array();
	$url_hash = url_hash( $identity['canonical_url'] ?? null );
	if ( null !== $url_hash ) {
		$keys[] = 'u' . $url_hash;
	}
	if ( is_string( $identity['text_hash'] ?? null ) ) {
		$keys[] = 't' . substr( $identity['text_hash'], 0, 32 );
	}
	foreach ( (array) ( $identity['bands'] ?? array() ) as $band ) {
		if ( is_string( $band ) ) {
			$keys[] = 'b' . substr( $band, 0, 16 );
		}
	}
	$names = array_values( array_unique( array_map( static fn( string $key ) => \ATAI\Lock\name( LOCK . '_' . $key ), $keys ) ) );
	sort( $names );
	return $names;
}

/**
 * The lock names this request holds; with an argument, remember those instead.
 *
 * @since 0.3.0
 *
 * @param string[]|null $names Names to remember.
 * @return string[]
 */
function held_names( ?array $names = null ): array {
	static $held = array();
	if ( null !== $names ) {
		$held = $names;
	}
	return $held;
}

/**
 * Release named locks in one statement (a name not held is passed over).
 *
 * @since 0.3.0
 *
 * @param string[] $names Lock names.
 */
function release_names( array $names ): void {
	global $wpdb;
	if ( ! $names ) {
		return;
	}
	$releases = implode( ', ', array_map( static fn( string $name ) => $wpdb->prepare( 'RELEASE_LOCK(%s)', $name ), $names ) );
	// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- each part is prepared above.
	$wpdb->query( "SELECT {$releases}" );
}

/**
 * The past post that a draft's story is, or null: same canonical URL, same text, or a near-duplicate
 * within the window at or above the site's threshold.
 *
 * One query: the URL and text hashes by their indexes, the band keys by theirs (only within the window),
 * with each candidate's post title and feed.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $identity A contract Identity.
 * @return array{post_id: int, post_title: string, post_status: string, feed_id: int, feed_title: string, layer: string, similarity: float, words: int, same_text: bool}|null
 */
function find_match( array $identity ): ?array {
	global $wpdb;
	$url_hash  = url_hash( $identity['canonical_url'] ?? null );
	$text_hash = is_string( $identity['text_hash'] ?? null ) ? $identity['text_hash'] : null;
	$bands     = array_values( array_filter( (array) ( $identity['bands'] ?? array() ), 'is_string' ) );
	$table     = identities_table();
	$parts     = array();
	if ( null !== $url_hash ) {
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$parts[] = $wpdb->prepare( "SELECT id, 0 AS near FROM {$table} WHERE url_hash = UNHEX(%s)", $url_hash );
	}
	if ( null !== $text_hash ) {
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$parts[] = $wpdb->prepare( "SELECT id, 0 AS near FROM {$table} WHERE text_hash = UNHEX(%s)", $text_hash );
	}
	if ( $bands && is_string( $identity['minhash'] ?? null ) ) {
		$keys    = implode( ', ', array_map( static fn( $band ) => $wpdb->prepare( 'UNHEX(%s)', $band ), $bands ) );
		$parts[] = 'SELECT identity_id, 1 AS near FROM ' . bands_table() . " WHERE band_key IN ({$keys})";
	}
	if ( ! $parts ) {
		return null;
	}
	$feeds = Schema\feeds_table();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- the parts are prepared above; table names are ours.
			"SELECT i.post_id, i.feed_id, i.words, HEX(i.url_hash) AS url_hash, HEX(i.text_hash) AS text_hash, i.minhash, p.post_title, p.post_status, f.title AS feed_title, f.url AS feed_url FROM (" . implode( ' UNION ALL ', $parts ) . ") c JOIN {$table} i ON i.id = c.id JOIN {$wpdb->posts} p ON p.ID = i.post_id LEFT JOIN {$feeds} f ON f.id = i.feed_id WHERE c.near = 0 OR i.created_at >= %s ORDER BY i.id DESC LIMIT %d",
			Clock\utc( -DAY_IN_SECONDS * (int) Settings\get( Settings\DEDUPE_WINDOW_DAYS ) ),
			MAX_CANDIDATES
		),
		ARRAY_A
	);
	$threshold = (int) Settings\get( Settings\DEDUPE_THRESHOLD ) / 100;
	$best      = null;
	foreach ( $rows ?: array() as $row ) {
		$same_text = null !== $text_hash && strtolower( (string) $row['text_hash'] ) === $text_hash;
		if ( null !== $url_hash && strtolower( (string) $row['url_hash'] ) === $url_hash ) {
			$layer      = 'same_url';
			$similarity = $same_text ? 1.0 : similarity( $identity['minhash'] ?? null, $row['minhash'] );
			$rank       = 3;
		} elseif ( $same_text ) {
			$layer      = 'same_text';
			$similarity = 1.0;
			$rank       = 2;
		} else {
			$layer      = 'similar_text';
			$similarity = similarity( $identity['minhash'] ?? null, $row['minhash'] );
			$rank       = 1;
			if ( $similarity < $threshold ) {
				continue;
			}
		}
		if ( null === $best || $rank > $best['rank'] || ( $rank === $best['rank'] && $similarity > $best['similarity'] ) ) {
			$best = array(
				'rank'        => $rank,
				'post_id'     => (int) $row['post_id'],
				'post_title'  => (string) $row['post_title'],
				'post_status' => (string) $row['post_status'],
				'feed_id'     => (int) $row['feed_id'],
				'feed_title'  => '' !== (string) $row['feed_title'] ? (string) $row['feed_title'] : (string) $row['feed_url'],
				'layer'       => $layer,
				'similarity'  => $similarity,
				'words'       => (int) $row['words'],
				'same_text'   => $same_text,
			);
		}
	}
	if ( null !== $best ) {
		unset( $best['rank'] );
	}
	return $best;
}

/**
 * The stored hash of a canonical URL (hex of its first 16 bytes of sha256), or null.
 *
 * @since 0.2.0
 *
 * @param mixed $url Identity.canonical_url.
 */
function url_hash( $url ): ?string {
	return is_string( $url ) && '' !== $url ? substr( hash( 'sha256', $url ), 0, 32 ) : null;
}

/**
 * Estimated similarity of two MinHash signatures: the share of equal values (0 when either is missing).
 *
 * @since 0.2.0
 *
 * @param mixed $encoded Identity.minhash (base64).
 * @param mixed $stored  The stored binary signature.
 */
function similarity( $encoded, $stored ): float {
	if ( ! is_string( $encoded ) || ! is_string( $stored ) ) {
		return 0.0;
	}
	$binary = base64_decode( $encoded, true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the contract's encoding of a signature.
	if ( false === $binary || strlen( $binary ) !== 4 * NUM_PERM || strlen( $stored ) !== 4 * NUM_PERM ) {
		return 0.0;
	}
	$equal = 0;
	foreach ( str_split( $binary, 4 ) as $index => $value ) {
		if ( substr_compare( $stored, $value, 4 * $index, 4 ) === 0 ) {
			++$equal;
		}
	}
	return $equal / NUM_PERM;
}

/**
 * Store a new post's identity and band keys (inside the import's transaction).
 *
 * @since 0.2.0
 *
 * @param int                  $post_id  The new post.
 * @param string               $key      Its item key.
 * @param int                  $feed_id  Its feed.
 * @param array<string, mixed> $identity A contract Identity.
 */
function remember( int $post_id, string $key, int $feed_id, array $identity ): bool {
	global $wpdb;
	$now     = Clock\utc();
	$bands   = array_slice( array_values( array_unique( array_filter( (array) ( $identity['bands'] ?? array() ), static fn( $band ) => is_string( $band ) && 1 === preg_match( '/^[0-9a-f]{16}$/', $band ) ) ) ), 0, MAX_BANDS );
	$minhash = is_string( $identity['minhash'] ?? null ) && strlen( (string) base64_decode( $identity['minhash'], true ) ) === 4 * NUM_PERM ? $identity['minhash'] : ''; // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the contract's encoding of a signature.
	// The signature travels as base64 and MariaDB decodes it: the query stays plain ASCII text.
	$done = $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			'INSERT INTO ' . identities_table() . ' (post_id, feed_id, item_key, url_hash, text_hash, words, minhash, bands, created_at) VALUES (%d, %d, %s, UNHEX(NULLIF(%s, \'\')), UNHEX(NULLIF(%s, \'\')), %d, FROM_BASE64(NULLIF(%s, \'\')), UNHEX(NULLIF(%s, \'\')), %s)',
			$post_id,
			$feed_id,
			$key,
			(string) url_hash( $identity['canonical_url'] ?? null ),
			is_string( $identity['text_hash'] ?? null ) ? $identity['text_hash'] : '',
			max( 0, (int) ( $identity['words'] ?? 0 ) ),
			$minhash,
			'' === $minhash ? '' : implode( '', $bands ),
			$now
		)
	);
	if ( 1 !== $done ) {
		return false;
	}
	if ( ! $bands || '' === $minhash ) {
		return true;
	}
	$id     = (int) $wpdb->insert_id;
	$values = array();
	foreach ( $bands as $band ) {
		$values[] = $wpdb->prepare( '(UNHEX(%s), %d)', $band, $id );
	}
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- rows prepared above; table name is ours.
	return count( $values ) === $wpdb->query( 'INSERT INTO ' . bands_table() . ' (band_key, identity_id) VALUES ' . implode( ', ', $values ) );
}

/**
 * A deleted post's identity goes with it: later stories are not skipped in favour of a post that is gone.
 *
 * @since 0.2.0
 *
 * @param int $post_id Post ID.
 */
function forget_post( $post_id ): void {
	global $wpdb;
	if ( false === get_option( Schema\VERSION_OPTION ) ) {
		return; // Uninstalled: the tables are gone.
	}
	$rows = $wpdb->get_results( $wpdb->prepare( 'SELECT id, HEX(bands) AS bands FROM ' . identities_table() . ' WHERE post_id = %d', (int) $post_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	foreach ( $rows ?: array() as $row ) {
		$keys = array_map( static fn( $band ) => $wpdb->prepare( 'UNHEX(%s)', $band ), str_split( (string) $row['bands'], 16 ) );
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- table names are ours, keys prepared above, IDs are integers.
		if ( '' !== (string) $row['bands'] ) {
			$wpdb->query( 'DELETE FROM ' . bands_table() . ' WHERE band_key IN (' . implode( ', ', $keys ) . ') AND identity_id = ' . (int) $row['id'] );
		}
		$wpdb->query( 'DELETE FROM ' . identities_table() . ' WHERE id = ' . (int) $row['id'] );
		// phpcs:enable
	}
}
