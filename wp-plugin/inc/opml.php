<?php
/**
 * OPML: the feed list out (every feed, with its settings) and in (an import plan that marks what
 * would be added, what is there already and what cannot be used, then the import itself).
 *
 * Other readers take the standard attributes (text, title, xmlUrl, type). Our own settings ride along
 * in attributes of our namespace, so an export can be imported on another site with the same
 * settings: status, post status, maximum posts, interval, the category by slug, the author by login
 * (both fall back to this site's defaults where they do not exist) and the options as JSON.
 *
 * @package automationtools-ai
 */

namespace ATAI\OPML;

use ATAI\Feed;
use ATAI\Feed_Address;
use ATAI\Feed_Options;
use ATAI\Feeds;
use WP_Error;

/** Our attributes' namespace. */
const NS = 'https://automationtools.ai/ns/opml/1';

/** Largest OPML file read. */
const MAX_BYTES = 2 * MB_IN_BYTES;

/** Most feeds one import reads. */
const MAX_OUTLINES = 500;

/**
 * The feeds as an OPML 2.0 document.
 *
 * @since 0.3.0
 *
 * @param Feed[] $feeds The feeds.
 */
function export( array $feeds ): string {
	$document               = new \DOMDocument( '1.0', 'UTF-8' );
	$document->formatOutput = true;
	$opml                   = $document->appendChild( $document->createElement( 'opml' ) );
	$opml->setAttribute( 'version', '2.0' );
	$opml->setAttributeNS( 'http://www.w3.org/2000/xmlns/', 'xmlns:atai', NS );
	$head = $opml->appendChild( $document->createElement( 'head' ) );
	/* translators: %s: site name. */
	$head->appendChild( $document->createElement( 'title' ) )->appendChild( $document->createTextNode( sprintf( __( 'Feeds of %s', 'automationtools-ai' ), get_bloginfo( 'name' ) ) ) );
	$head->appendChild( $document->createElement( 'dateCreated', gmdate( DATE_RFC2822 ) ) );
	$head->appendChild( $document->createElement( 'docs', 'http://opml.org/spec2.opml' ) );
	$body = $opml->appendChild( $document->createElement( 'body' ) );
	// Oldest first: imported in the same order, the feeds keep their order on the other site.
	usort( $feeds, static fn( Feed $a, Feed $b ) => $a->id <=> $b->id );
	foreach ( $feeds as $feed ) {
		$outline = $body->appendChild( $document->createElement( 'outline' ) );
		$title   = '' !== $feed->title ? $feed->title : $feed->url;
		$outline->setAttribute( 'type', 'rss' );
		$outline->setAttribute( 'text', $title );
		$outline->setAttribute( 'title', $title );
		$outline->setAttribute( 'xmlUrl', $feed->url );
		$category = get_term( $feed->category, 'category' );
		$author   = get_userdata( $feed->author );
		$ours     = array(
			'status'      => $feed->status,
			'post_status' => $feed->post_status,
			'max_posts'   => (string) $feed->max_posts,
			'interval'    => $feed->interval,
			'category'    => $category instanceof \WP_Term ? $category->slug : '',
			'author'      => $author ? $author->user_login : '',
			'options'     => Feed_Options\to_stored( $feed->options ),
		);
		foreach ( $ours as $name => $value ) {
			$outline->setAttributeNS( NS, 'atai:' . $name, $value );
		}
	}
	return (string) $document->saveXML();
}

/**
 * The feeds an OPML document lists (outlines with an xmlUrl, at any depth), or why it cannot be read.
 *
 * @since 0.3.0
 *
 * @return array<int, array{title: string, url: string, input: array<string, mixed>}>|WP_Error
 */
function read( string $xml ) {
	if ( strlen( $xml ) > MAX_BYTES ) {
		/* translators: %d: size in megabytes. */
		return new WP_Error( 'atai_opml_invalid', sprintf( __( 'The file is larger than %d MB: it is not a feed list.', 'automationtools-ai' ), MAX_BYTES / MB_IN_BYTES ) );
	}
	// A document type can declare entities that expand without bound: a feed list never needs one.
	if ( preg_match( '/<!DOCTYPE/i', $xml ) ) {
		return new WP_Error( 'atai_opml_invalid', __( 'The file declares a document type, which an OPML feed list never needs; it was not read.', 'automationtools-ai' ) );
	}
	$document = new \DOMDocument();
	$previous = libxml_use_internal_errors( true );
	$loaded   = '' !== trim( $xml ) && $document->loadXML( $xml, LIBXML_NONET );
	libxml_clear_errors();
	libxml_use_internal_errors( $previous );
	if ( ! $loaded || 'opml' !== $document->documentElement->nodeName ) {
		return new WP_Error( 'atai_opml_invalid', __( 'The file is not an OPML feed list (its root is not <opml>, or it is not well-formed XML).', 'automationtools-ai' ) );
	}
	$feeds = array();
	foreach ( $document->getElementsByTagName( 'outline' ) as $outline ) {
		$url = trim( $outline->getAttribute( 'xmlUrl' ) );
		if ( '' === $url ) {
			continue;
		}
		if ( count( $feeds ) >= MAX_OUTLINES ) {
			/* translators: %d: number of feeds. */
			return new WP_Error( 'atai_opml_invalid', sprintf( __( 'The file lists more than %d feeds; split it into smaller files.', 'automationtools-ai' ), MAX_OUTLINES ) );
		}
		$title = trim( $outline->getAttribute( 'title' ) );
		$title = '' !== $title ? $title : trim( $outline->getAttribute( 'text' ) );
		// A feed without a title is exported under its address; it gets its title from its first run again.
		$title = $title === $url ? '' : $title;
		$feeds[] = array(
			'title' => sanitize_text_field( $title ),
			'url'   => $url,
			'input' => input_of( $outline, $url, $title ),
		);
	}
	return $feeds;
}

/**
 * The values of a new feed from one outline: our attributes where there are any, this site's
 * defaults for the rest (a category or author this site does not have included).
 *
 * @since 0.3.0
 *
 * @return array<string, mixed>
 */
function input_of( \DOMElement $outline, string $url, string $title ): array {
	$input = array(
		'url'   => $url,
		'title' => $title,
	);
	foreach ( array( 'status', 'post_status', 'max_posts', 'interval' ) as $field ) {
		if ( $outline->hasAttributeNS( NS, $field ) ) {
			$input[ $field ] = $outline->getAttributeNS( NS, $field );
		}
	}
	$category = get_term_by( 'slug', $outline->getAttributeNS( NS, 'category' ), 'category' );
	if ( $category instanceof \WP_Term ) {
		$input['category'] = $category->term_id;
	}
	$author = get_user_by( 'login', $outline->getAttributeNS( NS, 'author' ) );
	if ( $author && user_can( $author, 'edit_posts' ) ) {
		$input['author'] = $author->ID;
	}
	$options = json_decode( $outline->getAttributeNS( NS, 'options' ), true );
	if ( is_array( $options ) ) {
		$input += array_intersect_key( $options, Feed_Options\definitions() );
	}
	return $input;
}

/**
 * What importing these feeds would do: each is new, already a feed of this site (or earlier in the
 * file), or cannot be used (with the reasons).
 *
 * @since 0.3.0
 *
 * @param array<int, array{title: string, url: string, input: array<string, mixed>}> $feeds Feeds read from a file.
 * @return array<int, array{title: string, url: string, input: array<string, mixed>, state: string, reason: string}>
 */
function plan( array $feeds ): array {
	$seen = array();
	foreach ( $feeds as $index => $feed ) {
		$values = Feeds\validate( $feed['input'] );
		$url    = Feeds\check_field( 'url', $feed['url'] );
		$known  = is_wp_error( $url ) ? null : Feed_Address\feed_with_same_address( $url, null )['id'] ?? null;
		// Two spellings of one address (http and https, tracking parameters...) are one feed.
		$same = is_wp_error( $url ) ? '' : (string) ( Feed_Address\address_identity( $url ) ?? $url );
		$state  = 'new';
		$reason = '';
		if ( null !== $known ) {
			$state = 'duplicate';
			/* translators: %d: feed ID. */
			$reason = sprintf( __( 'Already added (feed #%d).', 'automationtools-ai' ), $known );
		} elseif ( isset( $seen[ $same ] ) ) {
			$state  = 'duplicate';
			$reason = __( 'Listed twice in the file; added once.', 'automationtools-ai' );
		} elseif ( is_wp_error( $values ) ) {
			$state  = 'invalid';
			$reason = implode( ' ', $values->get_error_messages() );
		}
		if ( '' !== $same ) {
			$seen[ $same ] = true;
		}
		$feeds[ $index ] += array(
			'state'  => $state,
			'reason' => $reason,
		);
	}
	return $feeds;
}

/**
 * Add the feeds of a plan at these positions that are new; returns what happened.
 *
 * @since 0.3.0
 *
 * @param array<int, array<string, mixed>> $plan    The plan (plan()).
 * @param int[]                            $chosen  Positions in the plan the site owner ticked.
 * @return array{added: int[], refused: array<int, string>}
 */
function import( array $plan, array $chosen ): array {
	$result = array(
		'added'   => array(),
		'refused' => array(),
	);
	foreach ( array_unique( $chosen ) as $index ) {
		$feed = $plan[ $index ] ?? null;
		if ( null === $feed || 'new' !== $feed['state'] ) {
			continue;
		}
		// Checked again: the list may have changed since the plan was made.
		$id = Feeds\create( $feed['input'] );
		if ( is_wp_error( $id ) ) {
			$result['refused'][ $index ] = implode( ' ', $id->get_error_messages() );
		} else {
			$result['added'][] = $id;
		}
	}
	return $result;
}
