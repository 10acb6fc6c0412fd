<?php
/**
 * Adding a feed by any address: the worker finds the site's feeds (POST /v1/discover), the address is
 * checked before a new feed is saved with it, and a preview shows what the feed would post, made by
 * the worker's own stages and shown as Posts\prepare_post() would make the posts.
 *
 * @package automationtools-ai
 */

namespace ATAI\Discovery;

use ATAI\Attribution;
use ATAI\Costs;
use ATAI\Feed;
use ATAI\Feed_Address;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Posts;
use ATAI\Prompts;
use ATAI\Worker;
use WP_Error;

/** Entries a preview shows. */
const PREVIEW_ENTRIES = 3;

/** Words of each previewed entry's text. */
const PREVIEW_WORDS = 45;

/**
 * The feeds of an address, each with the ID of this site's feed that has its address (or null).
 *
 * @since 0.3.0
 *
 * @return array<string, mixed>|WP_Error A contract Discovery, each feed with "added".
 */
function find( string $url ) {
	$found = Worker\discover( $url );
	if ( is_wp_error( $found ) ) {
		return $found;
	}
	foreach ( $found['feeds'] as $index => $candidate ) {
		$found['feeds'][ $index ]['added']        = Feed_Address\feed_with_same_address( $candidate['url'], null )['id'] ?? null;
		$found['feeds'][ $index ]['format_label'] = format_label( $candidate['format'] );
	}
	return $found;
}

/**
 * Check an address before a feed is saved with it: the feed's address to save (the page's only feed
 * when the address is a page), or why not.
 *
 * The error's data says what the form offers: "feeds" to choose from (a page naming several), and
 * "save_paused" when the site or the worker seems down rather than wrong.
 *
 * @since 0.3.0
 *
 * @return array{url: string, from_page: bool}|WP_Error
 */
function check_source( string $url ) {
	$found = find( $url );
	if ( is_wp_error( $found ) ) {
		return refusal(
			/* translators: %s: why the worker could not be asked. */
			sprintf( __( 'the address could not be checked: %s You can save the feed paused, and resume it once the worker answers.', 'automationtools-ai' ), $found->get_error_message() ),
			array( 'save_paused' => true )
		);
	}
	$feeds = $found['feeds'];
	if ( 1 === count( $feeds ) ) {
		return array(
			'url'       => $feeds[0]['url'],
			'from_page' => 'address' !== $feeds[0]['found_by'],
		);
	}
	if ( count( $feeds ) > 1 ) {
		/* translators: %d: number of feeds. */
		return refusal( sprintf( __( 'this address is a web page that names %d feeds: choose one below.', 'automationtools-ai' ), count( $feeds ) ), array( 'feeds' => $feeds ) );
	}
	$error = $found['error'];
	if ( site_seems_down( $error ) ) {
		return refusal(
			/* translators: %s: the worker's reason, e.g. "fetch: got 503 from https://example.org/feed". */
			sprintf( __( 'the address cannot be read now (%s). Check it in a browser. If the site is only down for a while, you can save the feed paused and resume it later.', 'automationtools-ai' ), rtrim( $error['message'], '.' ) ),
			array( 'save_paused' => true )
		);
	}
	/* translators: %s: the worker's reason, e.g. "parse: ... is not an RSS, Atom or JSON feed (it looks like an HTML page)". */
	return refusal( sprintf( __( 'no feed can be read at this address (%s).', 'automationtools-ai' ), rtrim( $error['message'], '.' ) ) );
}

/**
 * Whether a source error looks like a site that is down (worth saving paused) rather than a wrong address.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $error A contract SourceError.
 */
function site_seems_down( array $error ): bool {
	$status = (int) ( $error['status'] ?? 0 );
	return in_array( $error['code'], array( 'timeout', 'connection_failed' ), true ) || $status >= 500 || in_array( $status, array( 408, 429 ), true );
}

/**
 * A refusal of the address, as the URL field's error.
 *
 * @since 0.3.0
 *
 * @param string               $reason Why, in words.
 * @param array<string, mixed> $offers What the form offers (feeds, save_paused).
 */
function refusal( string $reason, array $offers = array() ): WP_Error {
	$error = Feeds\field_error( 'url', $reason );
	return new WP_Error( $error->get_error_code(), $error->get_error_message(), $offers + $error->get_error_data() );
}

/**
 * What a feed with these values would post: the worker's preview, shaped for the screen.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $values  Clean values of the feed's fields (Feeds\defaults() for those not given).
 * @param bool                 $rewrite Whether to have the model write one entry (paid for), or show the original.
 * @return array<string, mixed>|WP_Error
 */
function preview( array $values, bool $rewrite ) {
	$feed    = Feed::from_fields( $values );
	$preview = Worker\preview(
		array(
			'feed'    => array( 'url' => $values['url'] ),
			'ai'      => Prompts\run_ai( $feed ),
			'options' => (object) Feed_Options\for_worker( $values ),
			'entries' => $rewrite ? 1 : PREVIEW_ENTRIES,
			'rewrite' => $rewrite,
		)
	);
	if ( is_wp_error( $preview ) ) {
		return $preview;
	}
	$view = array(
		'url'           => $preview['url'],
		'title'         => $preview['title'],
		'format'        => null === $preview['format'] ? null : format_label( $preview['format'] ),
		'entries_total' => $preview['entries_total'],
		'rewrite'       => $preview['rewrite'],
		'entries'       => array_map( static fn( array $draft ) => entry_view( $draft, $feed ), $preview['drafts'] ),
		'skipped'       => array_map( static fn( array $skip ) => array_intersect_key( $skip, array_flip( array( 'title', 'link', 'reason' ) ) ), $preview['skipped'] ),
		'failed'        => array_map( static fn( array $error ) => array_intersect_key( $error, array_flip( array( 'title', 'link', 'message' ) ) ), $preview['errors'] ),
		'error'         => null === $preview['error'] ? null : $preview['error']['message'],
	);
	return $view;
}

/**
 * One previewed draft as the post it would become: title, image, the start of its text, its date, the
 * source line, and for a rewrite the model, its tokens and (where known) its cost.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed being previewed.
 * @return array<string, mixed>
 */
function entry_view( array $draft, Feed $feed ): array {
	$post   = Posts\prepare_post( $draft, $feed );
	$source = 'none' === $feed->options['source_line_position'] ? '' : Attribution\source_line( $draft, $feed, false );
	$text   = wp_strip_all_tags( str_replace( $source, '', $post['post_content'] ) );
	$date   = $post['post_date_gmt'] ?? null;
	$view   = array(
		'title'       => $post['post_title'],
		'image'       => $draft['image'],
		// Plain text for the screen to show as text: entities (and the ellipsis) decoded.
		'text'        => html_entity_decode( wp_trim_words( $text, PREVIEW_WORDS ), ENT_QUOTES | ENT_HTML5, 'UTF-8' ),
		'date'        => null === $date ? __( 'The day it is imported', 'automationtools-ai' ) : (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), strtotime( $date . ' UTC' ) ),
		'source_line' => wp_kses_post( $source ),
		'rewritten'   => $draft['rewritten'],
		// A draft the worker's checks hold becomes a pending post that waits for a person.
		'held'        => (bool) $draft['hold'],
		'findings'    => array_column( $draft['findings'], 'message' ),
		'model'       => $draft['model'],
		'usage'       => null,
	);
	$priced = Costs\price_usage( is_array( $draft['usage'] ) ? $draft['usage'] : null, $draft['model'] );
	if ( null !== $priced ) {
		// The cost at the prices on the settings page; none when the model has no price there.
		$view['usage'] = $draft['usage'] + array( 'cost' => $priced['unpriced'] ? null : Costs\dollars( $priced['micros'] ) );
	}
	return $view;
}

/**
 * A feed format as the worker detects it (rss20, atom10, json11...) in words.
 *
 * @since 0.3.0
 */
function format_label( string $format ): string {
	if ( preg_match( '/^(rss|atom|json)(\d)(\d+)?[a-z]?$/', $format, $parts ) ) {
		$names = array(
			'rss'  => 'RSS',
			'atom' => 'Atom',
			'json' => 'JSON Feed',
		);
		return $names[ $parts[1] ] . ' ' . $parts[2] . '.' . ( $parts[3] ?? '0' );
	}
	return strtoupper( $format );
}
