<?php
/**
 * The feed's items list, for skipped items: why each was skipped, the post it matched, and "Import anyway".
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Items_List;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Skips;
use ATAI\Ledger;

const IMPORT_ANYWAY_ACTION = 'atai_import_anyway';

/**
 * The cell of a skipped item: the reason with a link to the post it matched, and the "Import anyway" button.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed>      $item Ledger row.
 * @param array<string, mixed>|null $skip From Skips\skips(), or null when its record is gone.
 */
function render_skip( array $item, ?array $skip ): void {
	if ( null === $skip ) {
		echo esc_html( $item['error_message'] );
		return;
	}
	$edit = get_edit_post_link( $skip['post_id'] );
	echo '<span class="atai-skip">' . esc_html( $skip['message'] ) . '</span>';
	if ( $edit ) {
		echo ' <a href="' . esc_url( $edit ) . '">' . esc_html__( 'Edit that post', 'automationtools-ai' ) . '</a>';
	}
	$url = wp_nonce_url(
		add_query_arg(
			array(
				'action' => IMPORT_ANYWAY_ACTION,
				'feed'   => $item['feed_id'],
				'item'   => $item['key'],
			),
			admin_url( 'admin-post.php' )
		),
		IMPORT_ANYWAY_ACTION . '_' . $item['key']
	);
	echo ' <a class="button button-small atai-import-anyway" href="' . esc_url( $url ) . '">' . esc_html__( 'Import anyway', 'automationtools-ai' ) . '</a>';
}

/**
 * Handler of "Import anyway": make the skipped item's post, then back to the feed's screen.
 *
 * @since 0.2.0
 */
function handle_import_anyway(): void {
	$key = isset( $_GET['item'] ) ? sanitize_key( wp_unslash( $_GET['item'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- check_request() verifies the nonce, which names this key.
	Feeds_Page\check_request( IMPORT_ANYWAY_ACTION . '_' . $key );
	$item   = Ledger\get( $key );
	$result = null === $item ? new \WP_Error( 'atai_item_not_found', __( 'There is no such item.', 'automationtools-ai' ) ) : Skips\import_anyway( $key );
	if ( is_wp_error( $result ) ) {
		Notices\add( 'error', $result->get_error_message() );
	} else {
		/* translators: %s: title of the new post. */
		Notices\add( 'success', sprintf( __( 'Imported: "%s".', 'automationtools-ai' ), get_the_title( $result ) ) );
	}
	wp_safe_redirect(
		null === $item ? Feeds_Page\url() : Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => $item['feed_id'],
			)
		)
	);
	exit;
}
