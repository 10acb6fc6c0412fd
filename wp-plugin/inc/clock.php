<?php
/**
 * The clock: the plugin stores every time as a UTC DATETIME string ('Y-m-d H:i:s'), whatever the
 * site's time zone, and these are the only places that read the time or convert those strings.
 *
 * @package automationtools-ai
 */

namespace ATAI\Clock;

const FORMAT = 'Y-m-d H:i:s';

/**
 * The current time as a UTC DATETIME string, optionally shifted by some seconds.
 *
 * @since 0.1.0
 */
function utc( int $offset = 0 ): string {
	return at( time() + $offset );
}

/**
 * A Unix timestamp as a UTC DATETIME string.
 *
 * @since 0.1.0
 */
function at( int $timestamp ): string {
	return gmdate( FORMAT, $timestamp );
}

/**
 * A stored UTC DATETIME string as a Unix timestamp.
 *
 * @since 0.1.0
 */
function timestamp( string $datetime ): int {
	return (int) strtotime( $datetime . ' UTC' );
}

/**
 * A stored UTC DATETIME string as RFC 3339, or null when there is none.
 *
 * @since 0.1.0
 */
function rfc3339( ?string $datetime ): ?string {
	if ( null === $datetime || '' === $datetime || str_starts_with( $datetime, '0000' ) ) {
		return null;
	}
	return gmdate( 'Y-m-d\TH:i:s\Z', timestamp( $datetime ) );
}
