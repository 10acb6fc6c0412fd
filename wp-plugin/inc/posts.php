<?php
/**
 * Draft -> post: one WordPress post per item key, and one per story, never two.
 *
 * The import of one Draft is one transaction: claim the ledger row, check that no post has the same
 * story (inc/dedupe.php), insert the post and its meta, store its identity, mark the row posted, commit.
 * A claim that fails means the key is posted already; a story posted before makes the row skipped.
 *
 * @package automationtools-ai
 */

namespace ATAI\Posts;

use ATAI\Attribution;
use ATAI\Contract;
use ATAI\Costs;
use ATAI\Feed;
use ATAI\Dedupe;
use ATAI\Skips;
use ATAI\Ledger;
use ATAI\Media;
use ATAI\Pace;
use ATAI\Post_Data;
use ATAI\Provenance;
use ATAI\Reviews;
use ATAI\Source_Changes;
use ATAI\Transaction;
use WP_Error;

const META_SOURCE_URL  = '_atai_source_url';
const META_SOURCE_GUID = '_atai_source_guid';
const META_ITEM_KEY    = '_atai_item_key';
const META_FEED_ID     = '_atai_feed_id';
const META_REWRITTEN   = '_atai_rewritten';
const META_MODEL       = '_atai_model';

/** Attributes whose values are URLs, which must start with one of the contract's URL schemes. */
const URL_ATTRIBUTES = array( 'href', 'src' );

/** Attributes the worker's sanitizer writes itself, beyond those it lets through: nh3 gives every link rel="noopener noreferrer". */
const ADDED_ATTRIBUTES = array( 'a' => array( 'rel' ) );

/** Tags per post, as in the contract. */
const MAX_TAGS = 20;

/**
 * Our post meta keys and their types.
 *
 * @since 0.1.0
 *
 * @return array<string, string>
 */
function meta_types(): array {
	return array(
		META_SOURCE_URL  => 'string',
		META_SOURCE_GUID => 'string',
		META_ITEM_KEY    => 'string',
		META_FEED_ID     => 'integer',
		META_REWRITTEN   => 'boolean',
		META_MODEL       => 'string',
	);
}

/**
 * Register the meta for the REST API: shown in the 'edit' context only, to users who can edit the post.
 *
 * @since 0.1.0
 */
function register_meta(): void {
	foreach ( meta_types() as $key => $type ) {
		register_post_meta(
			'post',
			$key,
			array(
				'type'          => $type,
				'single'        => true,
				'show_in_rest'  => array(
					'schema' => array(
						'type'    => $type,
						'context' => array( 'edit' ),
					),
				),
				'auth_callback' => __NAMESPACE__ . '\\can_edit_meta',
			)
		);
	}
}

/**
 * Only users who can edit the post may change its source meta.
 *
 * @since 0.1.0
 *
 * @param bool   $allowed  Whether the user can add the meta.
 * @param string $meta_key Meta key.
 * @param int    $post_id  Post ID.
 * @param int    $user_id  User ID.
 */
function can_edit_meta( $allowed, $meta_key, $post_id, $user_id ): bool {
	return user_can( $user_id, 'edit_post', $post_id );
}

/**
 * Import one Draft of a feed's run, inside an open Import_Batch.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $draft  A contract Draft.
 * @param Feed                 $feed   The feed (Feeds\get()).
 * @param string               $run_id The run it came from.
 * @param Import_Batch         $batch  The open batch.
 * @param bool                 $anyway Post it even if it was skipped as the same story as a post ("Import anyway").
 * @return int|WP_Error The new post's ID, 0 when the key is posted already or the story was (then it is skipped).
 */
function import_draft( array $draft, Feed $feed, string $run_id, Import_Batch $batch, bool $anyway = false ) {
	$valid = Contract\validate( 'Draft', $draft );
	if ( is_wp_error( $valid ) ) {
		return new WP_Error(
			'draft_invalid',
			/* translators: %s: the validator's message naming the field. */
			sprintf( __( 'import: the worker\'s draft does not match the API contract: %s', 'automationtools-ai' ), $valid->get_error_message() )
		);
	}
	if ( ! empty( $draft['source_changed'] ) ) {
		$changed = Source_Changes\handle( $draft, $feed, $batch );
		if ( null !== $changed ) {
			return $changed;
		}
	}
	// The slow parts (kses on a large article, creating terms, copying images) run before the transaction, so row locks stay short.
	$prepared = Post_Data\prepare( $draft, $feed, $batch->deadline );
	// One import decides at a time on a story, so two overlapping collections never both post it; the
	// locks span the transaction only, so the slow parts above still run side by side.
	if ( ! Dedupe\hold_lock( is_array( $draft['identity'] ?? null ) ? $draft['identity'] : null ) ) {
		return new WP_Error( 'import_busy', __( 'import: another import on this site kept the duplicate check busy for too long; the item is tried again on the next run.', 'automationtools-ai' ) );
	}
	try {
		return insert_post( $draft, $feed, $run_id, $batch, $prepared, $anyway );
	} finally {
		Dedupe\release_lock();
	}
}

/**
 * The transaction of an import: claim the key, decide, insert the post and its meta, store its identity.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft   A contract Draft.
 * @param Feed                 $feed    The feed.
 * @param string               $run_id  The run it came from.
 * @param Import_Batch         $batch   The open batch.
 * @param array<string, mixed> $prepared The post, its terms, meta, pending images and notes (Post_Data\prepare()).
 * @param bool                 $anyway   Post it even if it was skipped as the same story as a post.
 * @return int|WP_Error The new post's ID, 0 when the key is posted already or the story was.
 */
function insert_post( array $draft, Feed $feed, string $run_id, Import_Batch $batch, array $prepared, bool $anyway ) {
	$priced = Costs\price_usage( $draft['usage'], $draft['model'] );
	$held   = Reviews\held( $draft, $feed );
	if ( ! Transaction\begin() ) {
		return new WP_Error( 'import_db_error', __( 'import: the database could not start a transaction.', 'automationtools-ai' ) );
	}
	$post_id = 0;
	try {
		$claimed = Ledger\claim( $draft['key'], $feed->id, $run_id, $draft, $anyway );
		if ( is_wp_error( $claimed ) ) {
			forget_rolled_back( 0 );
			return $claimed;
		}
		if ( ! $claimed ) {
			Transaction\commit();
			return 0;
		}
		$match = $anyway ? null : Dedupe\find_match( $draft['identity'] );
		if ( null !== $match ) {
			// Its model calls were paid for all the same; skip() commits the cost with the skip.
			Costs\record( $draft['key'], $run_id, $feed->id, 0, $priced );
			return Skips\skip( $draft, $feed, $match );
		}
		$postarr = Pace\schedule( $prepared['postarr'], $feed );
		$post_id = wp_insert_post( wp_slash( $postarr ), true );
		if ( is_wp_error( $post_id ) ) {
			$error   = $post_id;
			$post_id = 0;
			forget_rolled_back( 0 );
			return new WP_Error(
				'import_failed',
				/* translators: %s: WordPress's error message. */
				sprintf( __( 'import: WordPress did not create the post: %s', 'automationtools-ai' ), $error->get_error_message() )
			);
		}
		$stored = add_terms( $post_id, $prepared['terms'] )
			&& add_meta( $post_id, $draft, $feed, Provenance\meta( $draft, $priced, $held ) + $prepared['meta'] )
			&& Ledger\mark_posted( $draft['key'], $post_id, $held ? 'held' : 'posted', (string) ( $draft['source_hash'] ?? '' ), $prepared['notes'] )
			&& Dedupe\remember( $post_id, $draft['key'], $feed->id, $draft['identity'] )
			&& Reviews\remember( $draft, $feed, $post_id ) && Costs\record( $draft['key'], $run_id, $feed->id, $post_id, $priced );
		if ( ! $stored ) {
			forget_rolled_back( $post_id );
			return new WP_Error( 'import_db_error', __( 'import: the database refused the post\'s source data.', 'automationtools-ai' ) );
		}
		if ( $anyway ) {
			Skips\forget_skip( $draft['key'] );
		}
		if ( ! Transaction\commit() ) {
			// MariaDB rolls a transaction back when its COMMIT fails: the post is not there.
			clean_post_cache( $post_id );
			return new WP_Error( 'import_db_error', __( 'import: the database could not commit the post.', 'automationtools-ai' ) );
		}
		$batch->inserted( $postarr['post_status'] );
		Media\after_import( $post_id, $prepared['pending'] );
		return $post_id;
	} catch ( \Throwable $exception ) {
		forget_rolled_back( $post_id );
		throw $exception;
	}
}

/**
 * Roll the import back and drop what the object cache learnt inside it.
 *
 * @since 0.1.0
 */
function forget_rolled_back( int $post_id ): void {
	Transaction\rollback();
	if ( $post_id > 0 ) {
		clean_post_cache( $post_id );
	}
	// Term relationships written in the transaction are gone too: invalidate cached term queries.
	wp_cache_set( 'last_changed', microtime(), 'terms' );
	wp_cache_set( 'last_changed', microtime(), 'posts' );
}

/**
 * The wp_insert_post() arguments for a Draft, sanitized whoever the current user is.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 * @return array<string, mixed> Unslashed post data.
 */
function prepare_post( array $draft, Feed $feed ): array {
	// An administrator has unfiltered_html, so WordPress would not filter this; worker HTML is untrusted.
	// wp_kses_post() costs 6–10 ms on a 125 KB article; HTML that is provably inside the narrow shape
	// the worker's sanitizer writes has nothing it would remove, and anything else goes through it.
	$content = is_narrow_html( $draft['content'] ) ? $draft['content'] : wp_kses_post( $draft['content'] );
	$content = inert_shortcodes( Attribution\with_source_line( rtrim( $content ), $draft, $feed, has_blocks( $content ) ) );

	$title = plain_text( $draft['title'] );
	if ( '' === $title ) {
		$title = plain_text( $draft['source_title'] );
	}

	$category = $feed->category;
	$postarr  = array(
		'post_type'     => 'post',
		'post_title'    => $title,
		'post_content'  => $content,
		'post_excerpt'  => plain_text( $draft['excerpt'] ),
		// A draft the worker's checks hold (a changed fact, a near-copy...) waits for a person, whatever the feed says.
		'post_status'   => Reviews\post_status( $draft, $feed ),
		'post_author'   => $feed->author,
		'post_category' => array( $category > 0 ? $category : (int) get_option( 'default_category', 1 ) ),
		// Our own GUID saves wp_insert_post() the UPDATE that sets one after the insert.
		'guid'          => home_url( '/?atai_item=' . $draft['key'] ),
	);

	$published = post_date_gmt( $draft['published'] );
	if ( null !== $published ) {
		$postarr['post_date_gmt'] = $published;
		$postarr['post_date']     = get_date_from_gmt( $published );
	}
	return $postarr;
}

/**
 * Whether HTML is made only of the tags and attributes the worker's sanitizer lets through.
 *
 * Every "<" must open or close a tag of the contract's allowlist (Contract\allowed_html()), written
 * in lower case, whose attributes are all allowed on that tag, double-quoted and free of quotes and
 * angle brackets, with URLs (href, src) that start, literally, with one of the contract's schemes and
 * a colon. No comments, no other markup, no NUL. A browser reads such HTML as exactly those tags and
 * attributes, and wp_kses_post() allows all of them, so kses has nothing to take out. This is a
 * check, not a cleaner: HTML that fails it, for any reason, is cleaned by wp_kses_post().
 *
 * @since 0.1.0
 *
 * @param string $html HTML from the worker.
 */
function is_narrow_html( string $html ): bool {
	static $pattern = null;
	if ( null === $pattern ) {
		$pattern = out_of_shape_pattern( Contract\allowed_html() );
	}
	return false === strpos( $html, "\0" ) && 0 === preg_match( $pattern, $html );
}

/**
 * The pattern of a "<" that does not open or close an allowed tag in the shape the worker writes.
 *
 * @since 0.1.0
 *
 * @param array{tags: string[], attributes: array<string, string[]>, url_schemes: string[]} $allowed The contract's allowlist.
 */
function out_of_shape_pattern( array $allowed ): string {
	$text    = '="[^"<>]*+"';
	$url     = '="(?:' . alternatives( $allowed['url_schemes'] ) . '):[^"<>\s]*+"';
	$opening = array();
	foreach ( $allowed['tags'] as $tag ) {
		$names   = array_merge( $allowed['attributes'][ $tag ] ?? array(), ADDED_ATTRIBUTES[ $tag ] ?? array() );
		$urls    = array_intersect( $names, URL_ATTRIBUTES );
		$others  = array_diff( $names, URL_ATTRIBUTES );
		$choices = array();
		if ( $others ) {
			$choices[] = ' (?:' . alternatives( $others ) . ')' . $text;
		}
		if ( $urls ) {
			$choices[] = ' (?:' . alternatives( $urls ) . ')' . $url;
		}
		$opening[] = preg_quote( $tag, '~' ) . ( $choices ? '(?:' . implode( '|', $choices ) . ')*+' : '' );
	}
	return '~<(?!(?:' . alternatives( $opening, false ) . ') ?/?>|/(?:' . alternatives( $allowed['tags'] ) . ')>)~';
}

/**
 * A regular expression alternation of names; one that never matches when there are none.
 *
 * @since 0.1.0
 *
 * @param string[] $names Names (or, with $quote false, patterns).
 * @param bool     $quote Whether to escape each name.
 */
function alternatives( array $names, bool $quote = true ): string {
	if ( ! $names ) {
		return '(?!)';
	}
	return implode( '|', $quote ? array_map( static fn( $name ) => preg_quote( (string) $name, '~' ), $names ) : $names );
}

/**
 * Plain text safe to store where WordPress expects HTML (titles, excerpts): no tags, no lone angle brackets.
 *
 * @since 0.1.0
 *
 * @param mixed $text Text from the worker.
 */
function plain_text( $text ): string {
	if ( ! is_string( $text ) ) {
		return '';
	}
	$text = wp_strip_all_tags( $text, true );
	$text = trim( preg_replace( '/\s+/u', ' ', $text ) ?? '' );
	return str_replace( array( '<', '>', '[', ']' ), array( '&lt;', '&gt;', '&#91;', '&#93;' ), $text );
}

/**
 * HTML in which no shortcode a feed or a model wrote can run: it shows as text.
 *
 * In text, "[" becomes "&#91;" followed by a word joiner (U+2060, invisible): do_shortcode() looks for
 * a literal "[" directly before a shortcode's name and leaves "&#91;" alone, as do wpautop(), do_blocks()
 * and the title and excerpt filters; and when an editor turns the entity back into "[" (the visual
 * editor and the block editor write text out unescaped), the joiner still stands between it and the
 * name. Inside tags the entity alone is used, so a URL keeps its meaning. Brackets inside HTML
 * comments stay: WordPress runs no shortcode there, and block delimiters carry JSON.
 *
 * @since 0.1.0
 *
 * @param string $html Imported HTML.
 */
function inert_shortcodes( string $html ): string {
	$bracket_entity = '/&(?:#0*91|#x0*5b|lsqb|lbrack);/i';
	if ( ! str_contains( $html, '[' ) && ! str_contains( $html, ']' ) && ! preg_match( $bracket_entity, $html ) ) {
		return $html;
	}
	$in_text = array(
		'[' => '&#91;&#8288;',
		']' => '&#93;',
	);
	$in_tags = array(
		'[' => '&#91;',
		']' => '&#93;',
	);
	// The same split into text, tags and comments that do_shortcode() makes.
	$parts = wp_html_split( $html );
	if ( false === $parts ) {
		return strtr( $html, $in_tags );
	}
	foreach ( $parts as $index => $part ) {
		if ( ! str_starts_with( $part, '<' ) ) {
			// A bracket written as an entity is one an editor writes back out as "[": it gets the joiner too.
			$part            = preg_replace( $bracket_entity, '[', $part ) ?? $part;
			$parts[ $index ] = strtr( $part, $in_text );
		} elseif ( ! str_starts_with( $part, '<!--' ) ) {
			$parts[ $index ] = strtr( $part, $in_tags );
		}
	}
	return implode( '', $parts );
}

/**
 * The entry's guid when it is safe to show, else '' (the item key still identifies the post).
 *
 * A guid is only an identifier, but a theme or a tool may print it as a link, so one that names a URL
 * scheme WordPress does not allow in links (javascript:, data:, vbscript:, in any spelling) is not stored.
 * Plain identifiers, http(s) URLs, tag: and urn: guids are kept.
 *
 * @since 0.1.0
 *
 * @param mixed $guid Draft.guid.
 */
function safe_guid( $guid ): string {
	if ( ! is_string( $guid ) || '' === $guid ) {
		return '';
	}
	$guid = mb_substr( $guid, 0, 2048 );
	// wp_kses_bad_protocol() removes any scheme not in the list: a guid it changes carried one.
	$schemes = array_merge( wp_allowed_protocols(), array( 'tag' ) );
	return wp_kses_bad_protocol( $guid, $schemes ) === $guid ? $guid : '';
}

/**
 * The Draft's tags as tag names (commas would split a name in two).
 *
 * @since 0.1.0
 *
 * @param mixed $tags Draft.tags.
 * @return string[]
 */
function tags( $tags ): array {
	$names = array();
	foreach ( is_array( $tags ) ? $tags : array() as $tag ) {
		$name = trim( str_replace( ',', ' ', plain_text( $tag ) ) );
		if ( '' !== $name ) {
			$names[] = mb_substr( $name, 0, 60 );
		}
	}
	return array_slice( array_values( array_unique( $names ) ), 0, MAX_TAGS );
}

/**
 * The post date (UTC) from Draft.published when it is in the past, else null (now).
 *
 * @since 0.1.0
 *
 * @param mixed $published Draft.published.
 */
function post_date_gmt( $published ): ?string {
	if ( ! is_string( $published ) || '' === $published ) {
		return null;
	}
	$timestamp = strtotime( $published );
	if ( false === $timestamp || $timestamp > time() ) {
		return null;
	}
	return gmdate( 'Y-m-d H:i:s', $timestamp );
}

/**
 * Relate a new post to its terms in one INSERT (core's wp_set_object_terms() costs three queries per term).
 *
 * @since 0.1.0
 *
 * @param int                  $post_id Post ID (new: it has no such terms yet).
 * @param array<string, int[]> $terms   term_taxonomy_ids by taxonomy (tags, post format).
 */
function add_terms( int $post_id, array $terms ): bool {
	global $wpdb;
	$values = array();
	foreach ( $terms as $tt_ids ) {
		foreach ( $tt_ids as $tt_id ) {
			$values[] = $wpdb->prepare( '(%d, %d)', $post_id, $tt_id );
		}
	}
	if ( ! $values ) {
		return true;
	}
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- each row is prepared above.
	$done = $wpdb->query( "INSERT INTO {$wpdb->term_relationships} (object_id, term_taxonomy_id) VALUES " . implode( ', ', $values ) );
	if ( count( $values ) !== $done ) {
		return false;
	}
	// What wp_set_object_terms() does after its inserts: counts (deferred to the batch's end), caches, hooks.
	wp_cache_delete( 'last_changed', 'terms' );
	foreach ( $terms as $taxonomy => $tt_ids ) {
		wp_update_term_count( $tt_ids, $taxonomy );
		wp_cache_delete( $post_id, $taxonomy . '_relationships' );
		/** This action is documented in wp-includes/taxonomy.php */
		do_action( 'set_object_terms', $post_id, $tt_ids, $tt_ids, $taxonomy, false, array() );
	}
	return true;
}

/**
 * Write the post's source meta in one INSERT (add_post_meta() would cost one query per key).
 *
 * @since 0.1.0
 *
 * @param int                   $post_id Post ID.
 * @param array<string, mixed>  $draft   A contract Draft.
 * @param Feed                  $feed    The feed.
 * @param array<string, string> $more    More meta (the post's provenance, Post_Data\prepare()'s), by key.
 */
function add_meta( int $post_id, array $draft, Feed $feed, array $more = array() ): bool {
	global $wpdb;
	$meta = $more + array(
		META_SOURCE_URL  => is_string( $draft['source_url'] ) ? esc_url_raw( $draft['source_url'], array( 'http', 'https' ) ) : '',
		META_SOURCE_GUID => safe_guid( $draft['guid'] ),
		META_ITEM_KEY    => $draft['key'],
		META_FEED_ID     => (string) $feed->id,
		META_REWRITTEN   => empty( $draft['rewritten'] ) ? '0' : '1',
		META_MODEL       => is_string( $draft['model'] ) ? sanitize_text_field( $draft['model'] ) : '',
	);
	$values = array();
	foreach ( $meta as $key => $value ) {
		if ( '' !== $value ) {
			$values[] = $wpdb->prepare( '(%d, %s, %s)', $post_id, $key, $value );
		}
	}
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- each row is prepared above.
	$done = $wpdb->query( "INSERT INTO {$wpdb->postmeta} (post_id, meta_key, meta_value) VALUES " . implode( ', ', $values ) );
	wp_cache_delete( $post_id, 'post_meta' );
	return count( $values ) === $done;
}
