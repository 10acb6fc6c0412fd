<?php
/**
 * Named locks held by this database connection (MariaDB GET_LOCK).
 *
 * The server releases them when the connection closes, so a PHP process that dies never leaves
 * a lock behind. Names are server-wide, so they carry a hash of this site's database and prefix.
 *
 * @package automationtools-ai
 */

namespace ATAI\Lock;

/**
 * The server-wide name of one of our locks.
 *
 * @since 0.1.0
 */
function name( string $lock ): string {
	global $wpdb;
	return 'atai_' . substr( md5( DB_NAME . '|' . $wpdb->prefix ), 0, 12 ) . '_' . $lock;
}

/**
 * Take a lock without waiting; false when another connection holds it.
 *
 * @since 0.1.0
 */
function acquire( string $lock ): bool {
	global $wpdb;
	return '1' === $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', name( $lock ) ) );
}

/**
 * Release a lock this connection holds.
 *
 * @since 0.1.0
 */
function release( string $lock ): void {
	global $wpdb;
	$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', name( $lock ) ) );
}
