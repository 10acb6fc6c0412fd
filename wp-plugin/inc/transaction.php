<?php
/**
 * Database transactions that nest: the outermost is a real transaction, inner ones are savepoints.
 *
 * An import claims its ledger row, inserts the post and marks the row posted in one transaction;
 * nesting lets that run inside a caller's transaction (the test suite wraps every test in one).
 *
 * @package automationtools-ai
 */

namespace ATAI\Transaction;

/**
 * How many transactions are open on this connection (0: none).
 *
 * @since 0.1.0
 */
function depth( ?int $change = null ): int {
	static $depth = 0;
	if ( null !== $change ) {
		$depth = max( 0, $depth + $change );
	}
	return $depth;
}

/**
 * Open a transaction, or a savepoint inside the one already open.
 *
 * @since 0.1.0
 */
function begin(): bool {
	global $wpdb;
	$level = depth();
	$ok    = 0 === $level
		? false !== $wpdb->query( 'START TRANSACTION' )
		: false !== $wpdb->query( 'SAVEPOINT atai_' . $level );
	if ( $ok ) {
		depth( 1 );
	}
	return $ok;
}

/**
 * Commit the innermost transaction (release its savepoint when nested).
 *
 * @since 0.1.0
 */
function commit(): bool {
	global $wpdb;
	$level = depth( -1 );
	return 0 === $level
		? false !== $wpdb->query( 'COMMIT' )
		: false !== $wpdb->query( 'RELEASE SAVEPOINT atai_' . $level );
}

/**
 * Undo the innermost transaction (back to its savepoint when nested).
 *
 * @since 0.1.0
 */
function rollback(): bool {
	global $wpdb;
	$level = depth( -1 );
	return 0 === $level
		? false !== $wpdb->query( 'ROLLBACK' )
		: false !== $wpdb->query( 'ROLLBACK TO SAVEPOINT atai_' . $level );
}
