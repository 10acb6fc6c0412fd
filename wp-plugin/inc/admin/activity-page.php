<?php
/**
 * The Activity screen: what happened to every item and in every run of every feed, filterable by feed,
 * outcome and date.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Activity_Page;

use ATAI\Admin\Activity_List_Table;
use ATAI\Admin\Feed_Health_View;
use ATAI\Admin\Feeds_Page;
use ATAI\Run_Log;

const SLUG = 'atai-activity';

/** Runs the runs view lists (the newest). */
const RUNS_SHOWN = 100;

/**
 * Add the screen under the plugin's menu, between Feeds and Settings.
 *
 * @since 0.2.0
 */
function add_menu(): void {
	add_submenu_page( Feeds_Page\SLUG, __( 'Activity', 'automationtools-ai' ), __( 'Activity', 'automationtools-ai' ), 'manage_options', SLUG, __NAMESPACE__ . '\\render' );
}

/**
 * Which view the screen shows: 'items' (every item, the default) or 'runs' (every run).
 *
 * @since 0.3.0
 */
function view(): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- choosing a view changes nothing.
	return isset( $_GET['show'] ) && 'runs' === sanitize_key( wp_unslash( $_GET['show'] ) ) ? 'runs' : 'items';
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
	$view = view();
	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . esc_html__( 'Activity', 'automationtools-ai' ) . '</h1>';
	$views = array(
		'items' => __( 'Items', 'automationtools-ai' ),
		'runs'  => __( 'Runs', 'automationtools-ai' ),
	);
	echo '<ul class="subsubsub">';
	$last = array_key_last( $views );
	foreach ( $views as $name => $label ) {
		$url     = add_query_arg( 'show', $name, admin_url( 'admin.php?page=' . SLUG ) );
		$current = $name === $view ? ' class="current" aria-current="page"' : '';
		// The separator inside the item, as core's views do: a list holds only its items.
		echo '<li><a href="' . esc_url( $url ) . '"' . $current . '>' . esc_html( $label ) . '</a>' . ( $name === $last ? '' : ' |' ) . '</li> '; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- $current is a fixed string.
	}
	echo '</ul><br class="clear" />';
	echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '">';
	echo '<input type="hidden" name="page" value="' . esc_attr( SLUG ) . '" />';
	echo '<input type="hidden" name="show" value="' . esc_attr( $view ) . '" />';
	if ( 'runs' === $view ) {
		render_runs();
	} else {
		echo '<p>' . esc_html__( 'Every item the feeds brought, newest first: what became of it and why.', 'automationtools-ai' ) . '</p>';
		$table = new Activity_List_Table();
		$table->prepare_items();
		$table->display();
	}
	echo '</form></div>';
}

/**
 * Every run of every feed, newest first, with the same filters (a run's outcome: failed or not).
 *
 * @since 0.3.0
 */
function render_runs(): void {
	$filters    = Activity_List_Table::filters();
	$feed_names = Activity_List_Table::feed_names();
	echo '<p>' . esc_html__( 'Every run of the feeds, newest first: what the fetch found and what became of the items.', 'automationtools-ai' ) . '</p>';
	echo '<div class="tablenav top">';
	Activity_List_Table::filters_form(
		$feed_names,
		array(
			''       => __( 'Every outcome', 'automationtools-ai' ),
			'failed' => __( 'Failed', 'automationtools-ai' ),
		)
	);
	echo '<br class="clear" /></div>';
	$runs = Run_Log\across_feeds( $filters['feed'], $filters['from'], $filters['to'], 'failed' === $filters['outcome'], RUNS_SHOWN );
	if ( ! $runs ) {
		echo '<p>' . esc_html__( 'No run matches these filters.', 'automationtools-ai' ) . '</p>';
		return;
	}
	Feed_Health_View\render_runs_table( $runs, $feed_names );
}
