<?php
/**
 * The Review screen: drafts waiting for review in a list (one by one or in bulk), and each beside its source
 * with the checks' findings marked in both; approve, edit in the WordPress editor, or discard. The menu
 * shows how many wait.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Reviews_Page;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Admin\Reviews_List_Table;
use ATAI\Costs;
use ATAI\Feeds;
use ATAI\Highlight;
use ATAI\Provenance;
use ATAI\Reviews;

const SLUG   = 'atai-review';
const ACTION = 'atai_review';

/**
 * Add the Review submenu, and the count of waiting drafts to it and to the top-level menu.
 *
 * @since 0.2.0
 */
function add_menu(): void {
	global $menu;
	$count  = Reviews\waiting_count();
	$bubble = $count ? sprintf( ' <span class="awaiting-mod count-%1$d"><span class="pending-count">%2$s</span></span>', $count, number_format_i18n( $count ) ) : '';
	$hook   = add_submenu_page( Feeds_Page\SLUG, __( 'Review drafts', 'automationtools-ai' ), __( 'Review', 'automationtools-ai' ) . $bubble, 'manage_options', SLUG, __NAMESPACE__ . '\\render' );
	if ( $hook ) {
		add_action( 'load-' . $hook, __NAMESPACE__ . '\\handle_bulk' );
	}
	foreach ( (array) $menu as $position => $entry ) {
		if ( $bubble && isset( $entry[2] ) && Feeds_Page\SLUG === $entry[2] ) {
			$menu[ $position ][0] .= $bubble; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- the documented way to add a count to a menu item.
		}
	}
}

/**
 * A URL of the Review screen.
 *
 * @since 0.2.0
 *
 * @param array<string, string|int> $args Query arguments (item).
 */
function url( array $args = array() ): string {
	return add_query_arg( array( 'page' => SLUG ) + $args, admin_url( 'admin.php' ) );
}

/**
 * A nonce-protected URL approving or discarding one draft.
 *
 * @since 0.2.0
 *
 * @param string $verb 'approve' or 'discard'.
 * @param string $key  Item key.
 */
function action_url( string $verb, string $key ): string {
	return wp_nonce_url(
		add_query_arg(
			array(
				'action' => ACTION,
				'do'     => $verb,
				'item'   => $key,
			),
			admin_url( 'admin-post.php' )
		),
		ACTION . '_' . $key
	);
}

/**
 * The plugin's styles in the post editor too (the provenance box), for posts made from a draft.
 *
 * @since 0.2.0
 *
 * @param string $hook_suffix Current admin page.
 */
function enqueue_editor_style( $hook_suffix ): void {
	if ( in_array( $hook_suffix, array( 'post.php', 'post-new.php' ), true ) ) {
		wp_enqueue_style( 'atai-admin', plugins_url( 'assets/admin.css', \ATAI\PLUGIN_FILE ), array(), \ATAI\VERSION );
	}
}

/**
 * The screen: one draft beside its source, or the list.
 *
 * @since 0.2.0
 */
function render(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can review drafts.', 'automationtools-ai' ), 403 );
	}
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- choosing a screen changes nothing.
	$key = isset( $_GET['item'] ) ? sanitize_key( wp_unslash( $_GET['item'] ) ) : '';
	if ( '' !== $key ) {
		render_one( $key );
		return;
	}
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
	require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-reviews-list-table.php';
	$table = new Reviews_List_Table();
	$table->prepare_items();
	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . esc_html__( 'Review drafts', 'automationtools-ai' ) . '</h1>';
	echo '<p>' . esc_html__( 'These drafts wait for a person: a check held them, or their feed reviews every draft. Nothing here is public until you approve it.', 'automationtools-ai' ) . '</p>';
	echo '<form method="post" action="' . esc_url( url() ) . '">';
	$table->display();
	echo '</form></div>';
}

/**
 * One held draft beside its source, the findings marked in both.
 *
 * @since 0.2.0
 */
function render_one( string $key ): void {
	$item = Reviews\waiting_item( $key );
	echo '<div class="wrap atai-wrap atai-review">';
	echo '<p><a href="' . esc_url( url() ) . '">' . esc_html__( 'Back to all drafts waiting', 'automationtools-ai' ) . '</a></p>';
	if ( is_wp_error( $item ) ) {
		echo '<div class="notice notice-warning"><p>' . esc_html( $item->get_error_message() ) . '</p></div></div>';
		return;
	}
	$post     = get_post( $item['post_id'] );
	$findings = $post ? Provenance\findings( $post->ID ) : array();
	$marked   = Highlight\both( $post ? $post->post_content : '', Reviews\source_of( $key ), $findings );
	$feed     = Feeds\get( $item['feed_id'] );
	echo '<h1>' . esc_html( $post ? $post->post_title : $item['title'] ) . '</h1>';
	echo '<p class="atai-review-meta">';
	if ( $feed ) {
		/* translators: %s: feed title or URL. */
		echo esc_html( sprintf( __( 'From %s.', 'automationtools-ai' ), '' !== $feed->title ? $feed->title : $feed->url ) ) . ' ';
	}
	if ( $post ) {
		/* translators: %s: amount in dollars. */
		echo esc_html( sprintf( __( 'AI cost: %s.', 'automationtools-ai' ), Costs\dollars( (int) get_post_meta( $post->ID, Provenance\META_COST_MICROS, true ) ) ) );
	}
	echo '</p>';
	render_buttons( $key, $post ? (int) $post->ID : 0 );
	echo '<h2>' . esc_html__( 'Findings', 'automationtools-ai' ) . '</h2>';
	if ( $findings ) {
		echo '<ol class="atai-findings">';
		foreach ( $findings as $finding ) {
			$hold = ! empty( $finding['hold'] );
			echo '<li class="' . ( $hold ? 'is-hold' : 'is-note' ) . '"><strong>' . esc_html( $hold ? __( 'Held:', 'automationtools-ai' ) : __( 'Note:', 'automationtools-ai' ) ) . '</strong> ' . esc_html( $finding['message'] ) . '</li>';
		}
		echo '</ol>';
	} else {
		echo '<p>' . esc_html__( 'No check held this draft: its feed reviews every draft.', 'automationtools-ai' ) . '</p>';
	}
	$allowed         = wp_kses_allowed_html( 'post' );
	$allowed['mark'] = array(
		'class'         => true,
		'data-finding'  => true,
		'title'         => true,
	);
	$allowed['sup']  = array();
	echo '<div class="atai-compare">';
	echo '<section class="atai-side atai-draft"><h2>' . esc_html__( 'Draft', 'automationtools-ai' ) . '</h2><div class="atai-text">' . wp_kses( $marked['draft'], $allowed ) . '</div></section>';
	echo '<section class="atai-side atai-source"><h2>' . esc_html__( 'Source', 'automationtools-ai' );
	if ( '' !== $item['link'] ) {
		echo ' <a href="' . esc_url( $item['link'] ) . '" rel="noopener noreferrer" target="_blank">' . esc_html__( '(open the original)', 'automationtools-ai' ) . '</a>';
	}
	echo '</h2><div class="atai-text">';
	echo '' !== $marked['source'] ? wp_kses( $marked['source'], $allowed ) : '<p>' . esc_html__( 'The source was not kept for this draft.', 'automationtools-ai' ) . '</p>';
	echo '</div></section></div></div>';
}

/**
 * Approve, edit and discard, for one draft.
 *
 * @since 0.2.0
 */
function render_buttons( string $key, int $post_id ): void {
	echo '<div class="atai-review-actions">';
	foreach ( array(
		'approve' => array( __( 'Approve', 'automationtools-ai' ), 'button button-primary' ),
		'discard' => array( __( 'Discard', 'automationtools-ai' ), 'button atai-discard' ),
	) as $verb => $button ) {
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( ACTION ) . '" /><input type="hidden" name="do" value="' . esc_attr( $verb ) . '" />';
		echo '<input type="hidden" name="item" value="' . esc_attr( $key ) . '" />';
		wp_nonce_field( ACTION . '_' . $key );
		echo '<button type="submit" class="' . esc_attr( $button[1] ) . '" id="atai-' . esc_attr( $verb ) . '">' . esc_html( $button[0] ) . '</button></form> ';
	}
	if ( $post_id && current_user_can( 'edit_post', $post_id ) ) {
		echo '<a class="button" id="atai-edit" href="' . esc_url( (string) get_edit_post_link( $post_id ) ) . '">' . esc_html__( 'Edit, then publish', 'automationtools-ai' ) . '</a>';
	}
	echo '</div>';
}

/**
 * admin-post handler of one draft's Approve or Discard (a button or a row action).
 *
 * @since 0.2.0
 */
function handle_action(): void {
	// phpcs:disable WordPress.Security.NonceVerification.Recommended -- check_admin_referer() below.
	$key  = isset( $_REQUEST['item'] ) ? sanitize_key( wp_unslash( $_REQUEST['item'] ) ) : '';
	$verb = isset( $_REQUEST['do'] ) ? sanitize_key( wp_unslash( $_REQUEST['do'] ) ) : '';
	// phpcs:enable
	check_admin_referer( ACTION . '_' . $key );
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can review drafts.', 'automationtools-ai' ), 403 );
	}
	apply( array( $key ), $verb );
	wp_safe_redirect( url() );
	exit;
}

/**
 * The list's bulk actions, before the screen is drawn (nonce of WP_List_Table's form).
 *
 * @since 0.2.0
 */
function handle_bulk(): void {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
	require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-reviews-list-table.php';
	$verb = ( new Reviews_List_Table() )->current_action();
	if ( ! in_array( $verb, array( 'approve', 'discard' ), true ) ) {
		return;
	}
	check_admin_referer( 'bulk-reviews' );
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can review drafts.', 'automationtools-ai' ), 403 );
	}
	// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked above.
	$keys = isset( $_POST['items'] ) ? array_map( 'sanitize_key', (array) wp_unslash( $_POST['items'] ) ) : array();
	apply( $keys, $verb );
	wp_safe_redirect( url() );
	exit;
}

/**
 * Approve or discard drafts and leave a notice saying what happened.
 *
 * @since 0.2.0
 *
 * @param string[] $keys Item keys.
 * @param string   $verb 'approve' or 'discard'.
 */
function apply( array $keys, string $verb ): void {
	$done = 0;
	foreach ( array_filter( $keys ) as $key ) {
		$result = 'approve' === $verb ? Reviews\approve( $key, get_current_user_id() ) : Reviews\discard( $key );
		if ( is_wp_error( $result ) ) {
			Notices\add( 'error', $result->get_error_message() );
		} else {
			++$done;
		}
	}
	if ( $done ) {
		Notices\add(
			'success',
			'approve' === $verb
				/* translators: %d: number of drafts. */
				? sprintf( _n( '%d draft approved and published.', '%d drafts approved and published.', $done, 'automationtools-ai' ), $done )
				/* translators: %d: number of drafts. */
				: sprintf( _n( '%d draft discarded; it will not come back.', '%d drafts discarded; they will not come back.', $done, 'automationtools-ai' ), $done )
		);
	}
}
