<?php
/**
 * The feeds list's bulk actions (pause, resume, run now, delete), handled before the screen is drawn.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Feeds_Bulk;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Feeds;
use ATAI\Runs;

/** The nonce action WP_List_Table puts in its form ("bulk-" and the table's plural). */
const NONCE = 'bulk-feeds';

const ACTIONS = array( 'pause', 'resume', 'run', 'delete' );

/**
 * The bulk action asked for, from either of the list's two selectors, or ''.
 *
 * @since 0.2.0
 */
function requested_action(): string {
	// phpcs:disable WordPress.Security.NonceVerification.Recommended -- handle() verifies the nonce before acting.
	foreach ( array( 'action', 'action2' ) as $field ) {
		$action = isset( $_REQUEST[ $field ] ) ? sanitize_key( wp_unslash( $_REQUEST[ $field ] ) ) : '';
		if ( in_array( $action, ACTIONS, true ) ) {
			return $action;
		}
	}
	// phpcs:enable
	return '';
}

/**
 * Do the bulk action on the chosen feeds, then come back to the list with a notice (load-{screen}).
 *
 * @since 0.2.0
 */
function handle(): void {
	$action = requested_action();
	if ( '' === $action ) {
		return;
	}
	Feeds_Page\check_request( NONCE );
	$ids = isset( $_REQUEST['feed'] ) ? array_filter( array_map( 'absint', (array) wp_unslash( $_REQUEST['feed'] ) ) ) : array(); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- check_request() verified the nonce.
	$done   = 0;
	$errors = array();
	foreach ( $ids as $id ) {
		$result = apply( $action, $id );
		if ( is_wp_error( $result ) ) {
			$errors[] = $result->get_error_message();
		} else {
			++$done;
		}
	}
	if ( $done > 0 || ! $errors ) {
		Notices\add( 'success', done_message( $action, $done ) );
	}
	foreach ( $errors as $message ) {
		Notices\add( 'error', $message );
	}
	wp_safe_redirect( remove_query_arg( array( 'action', 'action2', 'feed', '_wpnonce', '_wp_http_referer' ), wp_get_referer() ?: Feeds_Page\url() ) );
	exit;
}

/**
 * One feed's share of a bulk action.
 *
 * @since 0.2.0
 *
 * @return mixed|\WP_Error
 */
function apply( string $action, int $id ) {
	switch ( $action ) {
		case 'pause':
		case 'resume':
			return Feeds\set_status( $id, 'pause' === $action ? 'paused' : 'active' );
		case 'run':
			$feed = Feeds\get( $id );
			return null === $feed ? Feeds\not_found( $id ) : Runs\dispatch( $feed );
	}
	return Feeds\delete( $id );
}

/**
 * What a bulk action did, in words.
 *
 * @since 0.2.0
 */
function done_message( string $action, int $count ): string {
	switch ( $action ) {
		case 'pause':
			/* translators: %d: number of feeds. */
			return sprintf( _n( '%d feed paused.', '%d feeds paused.', $count, 'automationtools-ai' ), $count );
		case 'resume':
			/* translators: %d: number of feeds. */
			return sprintf( _n( '%d feed resumed.', '%d feeds resumed.', $count, 'automationtools-ai' ), $count );
		case 'run':
			/* translators: %d: number of feeds. */
			return sprintf( _n( '%d feed sent to the worker.', '%d feeds sent to the worker.', $count, 'automationtools-ai' ), $count );
	}
	/* translators: %d: number of feeds. */
	return sprintf( _n( '%d feed deleted. The posts it made stay.', '%d feeds deleted. The posts they made stay.', $count, 'automationtools-ai' ), $count );
}
