<?php
/**
 * Admin notices that survive the redirect after a form post (one short-lived transient per user).
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Notices;

const TRANSIENT_PREFIX = 'atai_notices_';

/**
 * Queue a notice for the current user's next admin page.
 *
 * @since 0.1.0
 *
 * @param string $type    'success', 'error', 'warning' or 'info'.
 * @param string $message The message, plain text.
 */
function add( string $type, string $message ): void {
	$key       = TRANSIENT_PREFIX . get_current_user_id();
	$notices   = get_transient( $key );
	$notices   = is_array( $notices ) ? $notices : array();
	$notices[] = array(
		'type'    => $type,
		'message' => $message,
	);
	set_transient( $key, $notices, 5 * MINUTE_IN_SECONDS );
}

/**
 * The queued notices, removed from the queue.
 *
 * @since 0.1.0
 *
 * @return array<int, array{type: string, message: string}>
 */
function take(): array {
	$key     = TRANSIENT_PREFIX . get_current_user_id();
	$notices = get_transient( $key );
	if ( false === $notices ) {
		return array();
	}
	delete_transient( $key );
	return is_array( $notices ) ? $notices : array();
}

/**
 * Print the queued notices on the plugin's own screens.
 *
 * @since 0.1.0
 */
function render(): void {
	$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
	if ( ! $screen || ! str_contains( $screen->id, 'atai-' ) ) {
		return;
	}
	foreach ( take() as $notice ) {
		$type = in_array( $notice['type'], array( 'success', 'error', 'warning', 'info' ), true ) ? $notice['type'] : 'info';
		printf( '<div class="notice notice-%1$s is-dismissible"><p>%2$s</p></div>', esc_attr( $type ), esc_html( $notice['message'] ) );
	}
}
