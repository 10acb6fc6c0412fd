<?php
/**
 * The Activity screen: what happened to every item of every feed, filterable by feed, outcome and date.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Activity_Page;

use ATAI\Admin\Activity_List_Table;
use ATAI\Admin\Feeds_Page;

const SLUG = 'atai-activity';

/**
 * Add the screen under the plugin's menu, between Feeds and Settings.
 *
 * @since 0.2.0
 */
function add_menu(): void {
	add_submenu_page( Feeds_Page\SLUG, __( 'Activity', 'automationtools-ai' ), __( 'Activity', 'automationtools-ai' ), 'manage_options', SLUG, __NAMESPACE__ . '\\render' );
}

/**
 * The screen.
 *
 * @since 0.2.0
 */
function render(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can manage feeds.', 'automationtools-ai' ), 403 );
	}
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
	require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-activity-list-table.php';
	$table = new Activity_List_Table();
	$table->prepare_items();
	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . esc_html__( 'Activity', 'automationtools-ai' ) . '</h1>';
	echo '<p>' . esc_html__( 'Every item the feeds brought, newest first: what became of it and why.', 'automationtools-ai' ) . '</p>';
	echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '">';
	echo '<input type="hidden" name="page" value="' . esc_attr( SLUG ) . '" />';
	$table->display();
	echo '</form></div>';
}
