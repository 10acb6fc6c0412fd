<?php
/**
 * Feed addresses (issue #12): two spellings of one address are one feed. The worker has the same rules
 * (atai_worker/identity.py address_identity()); tests/fixtures/dedupe/address-cases.json holds the cases
 * both suites check. Known before any call to the worker, when a feed is saved.
 *
 * @package automationtools-ai
 */

namespace ATAI\Feed_Address;

use ATAI\Schema;

/**
 * Query parameters that only track the reader; the worker has the same list (atai_worker/identity.py).
 */
const TRACKING_PARAMS = '/^(?:utm_|mc_|pk_|mtm_|itm_|vero_|oly_|mkt_|ml_)|^(?:fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|ocid|cmpid|ito|smid|sr_share|_ga|_gl|__twitter_impression|s_cid|mbid|fromrss)$|^(?:ns|at|wt)[_.][a-z_]+$/i';

/**
 * The address of a feed without what only spells it differently: '//host[:port]/path?sorted&query', or null.
 *
 * Scheme (http and https of one address), host case, default ports, fragments, trailing slashes, doubled
 * slashes and tracking parameters do not count. The worker's address_identity() gives the same answer
 * for every case of tests/fixtures/dedupe/address-cases.json.
 *
 * @since 0.2.0
 *
 * @param mixed $url A URL.
 */
function address_identity( $url ): ?string {
	if ( ! is_string( $url ) ) {
		return null;
	}
	$parts = wp_parse_url( trim( $url ) );
	if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true ) ) {
		return null;
	}
	$scheme = strtolower( $parts['scheme'] );
	$host   = rtrim( strtolower( $parts['host'] ), '.' );
	$port   = isset( $parts['port'] ) ? (int) $parts['port'] : null;
	if ( null !== $port && ( 'http' === $scheme ? 80 : 443 ) !== $port ) {
		$host .= ':' . $port;
	}
	$path  = rtrim( (string) preg_replace( '#/{2,}#', '/', $parts['path'] ?? '' ), '/' );
	$pairs = array();
	foreach ( explode( '&', $parts['query'] ?? '' ) as $pair ) {
		if ( '' === $pair ) {
			continue;
		}
		// Not parse_str(): it turns dots in names into underscores and merges repeated names.
		list( $name, $value ) = array_pad( explode( '=', $pair, 2 ), 2, '' );
		$name                 = urldecode( $name );
		if ( ! preg_match( TRACKING_PARAMS, $name ) ) {
			$pairs[] = array( $name, urldecode( $value ) );
		}
	}
	usort(
		$pairs,
		static function ( $a, $b ) {
			return strcmp( $a[0], $b[0] ) ?: strcmp( $a[1], $b[1] );
		}
	);
	$query = implode(
		'&',
		array_map(
			static function ( $pair ) {
				return query_encode( $pair[0] ) . '=' . query_encode( $pair[1] );
			},
			$pairs
		)
	);
	return '//' . $host . $path . ( '' !== $query ? '?' . $query : '' );
}

/**
 * A query string part encoded as the worker encodes it (spaces as "+", only A-Z a-z 0-9 - _ . ~ kept).
 *
 * @since 0.2.0
 */
function query_encode( string $text ): string {
	return str_replace( '%20', '+', rawurlencode( $text ) );
}

/**
 * The feed whose address is the same as $url but for spelling, or null.
 *
 * @since 0.2.0
 *
 * @param string   $url     A feed URL.
 * @param int|null $exclude The feed being edited.
 * @return array{id: int, url: string, title: string}|null
 */
function feed_with_same_address( string $url, ?int $exclude ): ?array {
	global $wpdb;
	$identity = address_identity( $url );
	if ( null === $identity ) {
		return null;
	}
	$table = Schema\feeds_table();
	// A site has tens or hundreds of feeds: comparing them all in PHP needs no column or migration.
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	foreach ( $wpdb->get_results( "SELECT id, url, title FROM {$table}", ARRAY_A ) ?: array() as $row ) {
		if ( (int) $row['id'] !== $exclude && address_identity( $row['url'] ) === $identity ) {
			return array(
				'id'    => (int) $row['id'],
				'url'   => $row['url'],
				'title' => $row['title'],
			);
		}
	}
	return null;
}
