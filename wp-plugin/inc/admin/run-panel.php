<?php
/**
 * A feed's run panel on its screen: Run now and Pause buttons, and the run followed live (the script polls
 * REST with backoff and announces each step in a live region). Without JavaScript the buttons are forms
 * and the panel shows where the run stood when the page was made; reloading shows where it stands now.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Run_Panel;

use ATAI\Admin\Feeds_Page;
use ATAI\Feed;
use ATAI\Run_Progress;

/** The query argument naming the run the screen follows (it survives a reload). */
const RUN_ARG = 'run';

/**
 * The panel's script, on the plugin's feed screens only.
 *
 * @since 0.2.0
 *
 * @param string $hook_suffix Current admin page.
 */
function enqueue_assets( $hook_suffix ): void {
	if ( ! is_string( $hook_suffix ) || ! str_ends_with( $hook_suffix, Feeds_Page\SLUG ) ) {
		return;
	}
	wp_enqueue_script( 'atai-run-panel', plugins_url( 'assets/run-panel.js', \ATAI\PLUGIN_FILE ), array( 'wp-api-fetch', 'wp-i18n' ), \ATAI\VERSION, true );
	wp_set_script_translations( 'atai-run-panel', 'automationtools-ai', \ATAI\PLUGIN_DIR . '/languages' );
}

/**
 * The run this screen follows: the one in the address, else the feed's current run, else none.
 *
 * @since 0.2.0
 */
function followed_run( Feed $feed ): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- which run to show changes nothing.
	$run = isset( $_GET[ RUN_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ RUN_ARG ] ) ) : '';
	if ( 1 === preg_match( '/^[0-9a-f]{32}$/', $run ) ) {
		return $run;
	}
	return (string) $feed->run_id;
}

/**
 * A button that works without JavaScript: a form posting to admin-post.php with the action's nonce.
 *
 * @since 0.2.0
 */
function action_button( string $action, Feed $feed, string $label, string $class ): string {
	return sprintf(
		'<form method="post" action="%1$s" class="atai-inline-form">%2$s<input type="hidden" name="return" value="feed" /><button type="submit" class="button %3$s">%4$s</button></form>',
		esc_url(
			add_query_arg(
				array(
					'action' => $action,
					'feed'   => $feed->id,
				),
				admin_url( 'admin-post.php' )
			)
		),
		wp_nonce_field( $action . '_' . $feed->id, '_wpnonce', false, false ),
		esc_attr( $class ),
		esc_html( $label )
	);
}

/**
 * The panel.
 *
 * @since 0.2.0
 */
function render( Feed $feed ): void {
	$run_id   = followed_run( $feed );
	$progress = '' === $run_id ? null : Run_Progress\progress( $feed, $run_id );
	printf(
		'<section class="atai-run-panel" aria-labelledby="atai-run-heading" data-feed="%1$d" data-run="%2$s" data-running="%3$s">',
		(int) $feed->id,
		esc_attr( $run_id ),
		$progress && $progress['running'] ? '1' : '0'
	);
	echo '<h2 id="atai-run-heading">' . esc_html__( 'Run', 'automationtools-ai' ) . '</h2>';
	echo '<div class="atai-run-buttons">';
	echo action_button( Feeds_Page\RUN_ACTION, $feed, __( 'Run now', 'automationtools-ai' ), 'button-primary atai-run-now' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- action_button() escapes every part.
	echo action_button( Feeds_Page\TOGGLE_ACTION, $feed, 'active' === $feed->status ? __( 'Pause', 'automationtools-ai' ) : __( 'Resume', 'automationtools-ai' ), 'atai-toggle' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- action_button() escapes every part.
	echo '</div>';
	echo '<p class="atai-run-status" role="status" aria-live="polite">' . esc_html( $progress ? $progress['message'] : __( 'No run yet on this screen: Run now starts one and follows it here.', 'automationtools-ai' ) ) . '</p>';
	$total = $progress ? (int) $progress['total'] : 0;
	printf(
		'<progress class="atai-run-bar" max="%1$d" value="%2$d" aria-label="%3$s"%4$s></progress>',
		max( 1, $total ),
		$progress ? min( (int) $progress['done'], max( 1, $total ) ) : 0,
		esc_attr__( 'Entries done', 'automationtools-ai' ),
		$progress && $progress['running'] && $total > 0 ? '' : ' hidden'
	);
	echo '<ul class="atai-run-posts" aria-label="' . esc_attr__( 'Posts of this run', 'automationtools-ai' ) . '">';
	foreach ( $progress ? $progress['posts'] : array() as $post ) {
		printf(
			'<li data-post="%1$d"><a href="%2$s">%3$s</a> <span class="atai-post-status">(%4$s)</span></li>',
			(int) $post['id'],
			esc_url( $post['edit_link'] ),
			esc_html( $post['title'] ),
			esc_html( $post['status'] )
		);
	}
	echo '</ul></section>';
}
