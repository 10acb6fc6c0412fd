<?php
/**
 * "Try again" on an item that failed for good: it gets its tries back and the feed's next run asks the
 * worker for it again.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Item_Retry;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Ledger;

const ACTION = 'atai_retry_item';

/**
 * The button of a failed item (a link with its nonce, like the screen's other item actions).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $item Ledger row.
 */
function button( array $item ): string {
	$url = wp_nonce_url(
		add_query_arg(
			array(
				'action' => ACTION,
				'feed'   => $item['feed_id'],
				'item'   => $item['key'],
			),
			admin_url( 'admin-post.php' )
		),
		ACTION . '_' . $item['key']
	);
	return ' <a class="button button-small atai-retry" href="' . esc_url( $url ) . '">' . esc_html__( 'Try again', 'automationtools-ai' ) . '</a>';
}

/**
 * Handler: give the item its tries back, then back to the feed's screen.
 *
 * @since 0.2.0
 */
function handle(): void {
	$key = isset( $_GET['item'] ) ? sanitize_key( wp_unslash( $_GET['item'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- check_request() verifies the nonce, which names this key.
	Feeds_Page\check_request( ACTION . '_' . $key );
	if ( Ledger\try_again( $key ) ) {
		Notices\add( 'success', __( 'The item is tried again on the feed\'s next run.', 'automationtools-ai' ) );
	} else {
		Notices\add( 'error', __( 'This item has not failed, so there is nothing to try again.', 'automationtools-ai' ) );
	}
	wp_safe_redirect(
		Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => Feeds_Page\requested_feed_id(),
			)
		)
	);
	exit;
}
