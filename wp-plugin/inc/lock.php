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
 * Take a lock, waiting at most $wait seconds (by default not at all); false when it is held, by another connection or by this one.
 *
 * MariaDB lets a connection take a lock it holds again; we do not: work nested inside the same work
 * (a run collected from inside its own collection) must find it busy, as another request does, and
 * leave it to the one in progress.
 *
 * @since 0.1.0
 */
function acquire( string $lock, int $wait = 0 ): bool {
	global $wpdb;
	$name = name( $lock );
	return '1' === $wpdb->get_var( $wpdb->prepare( 'SELECT IF(IS_USED_LOCK(%s) <=> CONNECTION_ID(), 0, GET_LOCK(%s, %d))', $name, $name, $wait ) );
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
