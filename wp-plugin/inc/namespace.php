<?php
/**
 * The plugin's hooks, all in one place, and its activation and deactivation.
 *
 * @package automationtools-ai
 */

namespace ATAI;

/**
 * Register every action and filter the plugin uses.
 *
 * @since 0.1.0
 */
function bootstrap(): void {
	register_activation_hook( PLUGIN_FILE, __NAMESPACE__ . '\\activate' );
	register_deactivation_hook( PLUGIN_FILE, __NAMESPACE__ . '\\deactivate' );

	// Schema and scheduling repair themselves after an update that did not run the activation hook.
	add_action( 'plugins_loaded', __NAMESPACE__ . '\\Schema\\upgrade_if_needed' );

	// Multisite: a new site of a network where the plugin is network-active is set up; a deleted one loses our tables.
	add_action( 'wp_initialize_site', __NAMESPACE__ . '\\Network\\set_up_new_site', 200 );
	add_filter( 'wpmu_drop_tables', __NAMESPACE__ . '\\Network\\drop_tables_with_site' );
	add_action( 'init', __NAMESPACE__ . '\\load_textdomain' );
	add_action( 'init', __NAMESPACE__ . '\\Settings\\register' );
	add_action( 'init', __NAMESPACE__ . '\\Posts\\register_meta' );
	add_action( 'init', __NAMESPACE__ . '\\Cron\\ensure_scheduled' );

	// Imported posts: a URL a feed wrote is not embedded, unless its feed allows embeds (before core's, at 8).
	add_filter( 'the_content', __NAMESPACE__ . '\\Embeds\\links_instead_of_embeds', 7 );
	add_filter( 'pre_oembed_result', __NAMESPACE__ . '\\Embeds\\refuse_oembed', 20 );

	// Secrets: an empty password field on the settings form keeps the saved value.
	foreach ( Settings\SECRETS as $secret_option ) {
		add_filter( 'pre_update_option_' . $secret_option, __NAMESPACE__ . '\\Settings\\keep_secret_unless_replaced', 10, 3 );
	}

	// Imported posts: the source's author as byline, the original as canonical, a meta description.
	add_filter( 'the_author', __NAMESPACE__ . '\\Post_Fields\\byline' );
	add_filter( 'get_canonical_url', __NAMESPACE__ . '\\Attribution\\canonical_url', 10, 2 );
	add_action( 'wp_head', __NAMESPACE__ . '\\Seo\\print_description', 1 );

	// Images: those left by a collection's time budget, and the image editor's sub-sizes, by cron events.
	add_action( Media\PENDING_HOOK, __NAMESPACE__ . '\\Media\\copy_pending' );
	add_action( Media\SIZES_HOOK, __NAMESPACE__ . '\\Media\\make_sizes' );

	add_filter( 'cron_schedules', __NAMESPACE__ . '\\Cron\\add_schedule' );
	add_action( Cron\HOOK, __NAMESPACE__ . '\\Cron\\tick' );

	// A deleted post's identity goes with it (inc/dedupe.php).
	add_action( 'deleted_post', __NAMESPACE__ . '\\Dedupe\\forget_post' );

	add_action( 'http_api_curl', __NAMESPACE__ . '\\Worker\\limit_connect_time', 10, 2 );

	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\register_routes' );

	// Site Health: the worker, its queue, WP-Cron's tick and the AI endpoint; the settings for support.
	add_filter( 'site_status_tests', __NAMESPACE__ . '\\Site_Health\\add_tests' );
	add_filter( 'debug_information', __NAMESPACE__ . '\\Site_Health\\add_info' );
	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\Site_Health\\register_routes' );

	add_action( 'admin_menu', __NAMESPACE__ . '\\Admin\\Feeds_Page\\add_menu' );
	add_action( 'admin_menu', __NAMESPACE__ . '\\Admin\\Settings_Page\\add_menu', 20 );
	add_action( 'admin_init', __NAMESPACE__ . '\\Admin\\Settings_Page\\register_fields' );
	add_action( 'admin_enqueue_scripts', __NAMESPACE__ . '\\Admin\\Feeds_Page\\enqueue_assets' );
	add_action( 'admin_notices', __NAMESPACE__ . '\\Admin\\Notices\\render' );
	add_action( 'admin_post_' . Admin\Feeds_Page\SAVE_ACTION, __NAMESPACE__ . '\\Admin\\Feeds_Page\\handle_save' );
	add_action( 'admin_post_' . Admin\Feeds_Page\RUN_ACTION, __NAMESPACE__ . '\\Admin\\Feeds_Page\\handle_run' );
	add_action( 'admin_post_' . Admin\Feeds_Page\TOGGLE_ACTION, __NAMESPACE__ . '\\Admin\\Feeds_Page\\handle_toggle' );
	add_action( 'admin_post_' . Admin\Feeds_Page\DELETE_ACTION, __NAMESPACE__ . '\\Admin\\Feeds_Page\\handle_delete' );
	add_action( 'admin_post_' . Admin\Items_List\IMPORT_ANYWAY_ACTION, __NAMESPACE__ . '\\Admin\\Items_List\\handle_import_anyway' );

	// Posts you can trace: the Source column and the filter by feed in All Posts (the editor's box is Provenance's).
	add_filter( 'manage_post_posts_columns', __NAMESPACE__ . '\\Admin\\Post_Source\\add_column' );
	add_action( 'manage_post_posts_custom_column', __NAMESPACE__ . '\\Admin\\Post_Source\\render_column', 10, 2 );
	add_action( 'restrict_manage_posts', __NAMESPACE__ . '\\Admin\\Post_Source\\render_filter' );
	add_action( 'pre_get_posts', __NAMESPACE__ . '\\Admin\\Post_Source\\filter_query' );

	// The dashboard widget and its styles (on the dashboard only).
	add_action( 'wp_dashboard_setup', __NAMESPACE__ . '\\Admin\\Dashboard_Widget\\add' );
	add_action( 'admin_enqueue_scripts', __NAMESPACE__ . '\\Admin\\Dashboard_Widget\\enqueue_assets' );

	// Run now followed live on a feed's screen (REST progress, the panel's script), and the Activity screen.
	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\Run_Progress\\register_routes' );
	add_action( 'admin_enqueue_scripts', __NAMESPACE__ . '\\Admin\\Run_Panel\\enqueue_assets' );
	add_action( 'admin_menu', __NAMESPACE__ . '\\Admin\\Activity_Page\\add_menu', 15 );

	// The feeds list's bulk actions, before the screen is drawn.
	add_action( 'load-toplevel_page_' . Admin\Feeds_Page\SLUG, __NAMESPACE__ . '\\Admin\\Feeds_Bulk\\handle' );

	// "Try again" on an item that failed for good.
	add_action( 'admin_post_' . Admin\Item_Retry\ACTION, __NAMESPACE__ . '\\Admin\\Item_Retry\\handle' );
	add_filter( 'plugin_action_links_' . plugin_basename( PLUGIN_FILE ), __NAMESPACE__ . '\\Admin\\Settings_Page\\add_action_link' );

	// Feed health and adding feeds: discovery and preview, OPML, notices of failing feeds, the daily digest.
	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\Discovery\\register_routes' );
	add_action( 'admin_notices', __NAMESPACE__ . '\\Admin\\Health_Notices\\render' );
	add_action( 'admin_post_' . Admin\Health_Notices\DISMISS_ACTION, __NAMESPACE__ . '\\Admin\\Health_Notices\\handle_dismiss' );
	add_action( 'admin_post_' . Admin\Health_Notices\CLEAR_NOTE_ACTION, __NAMESPACE__ . '\\Admin\\Health_Notices\\handle_clear_note' );
	add_action( 'admin_post_' . Admin\OPML_Page\EXPORT_ACTION, __NAMESPACE__ . '\\Admin\\OPML_Page\\handle_export' );
	add_action( 'admin_post_' . Admin\OPML_Page\UPLOAD_ACTION, __NAMESPACE__ . '\\Admin\\OPML_Page\\handle_upload' );
	add_action( 'admin_post_' . Admin\OPML_Page\IMPORT_ACTION, __NAMESPACE__ . '\\Admin\\OPML_Page\\handle_import' );
	add_action( 'init', __NAMESPACE__ . '\\Health_Digest\\ensure_scheduled' );
	add_action( Health_Digest\HOOK, __NAMESPACE__ . '\\Health_Digest\\send' );

	// The review queue, provenance and costs of AI drafts.
	add_action( 'init', __NAMESPACE__ . '\\Provenance\\register_meta' );
	add_action( 'transition_post_status', __NAMESPACE__ . '\\Reviews\\on_status_change', 10, 3 );
	add_action( 'before_delete_post', __NAMESPACE__ . '\\Reviews\\on_delete' );
	add_action( 'add_meta_boxes', __NAMESPACE__ . '\\Provenance\\add_meta_box', 10, 2 );
	add_action( 'admin_menu', __NAMESPACE__ . '\\Admin\\Reviews_Page\\add_menu', 15 );
	add_action( 'admin_enqueue_scripts', __NAMESPACE__ . '\\Admin\\Reviews_Page\\enqueue_editor_style' );
	add_action( 'admin_post_' . Admin\Reviews_Page\ACTION, __NAMESPACE__ . '\\Admin\\Reviews_Page\\handle_action' );
	add_action( 'admin_notices', __NAMESPACE__ . '\\Admin\\Costs\\render_notice' );
	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\Reviews\\register_routes' );
	add_action( 'rest_api_init', __NAMESPACE__ . '\\REST\\AI\\register_routes' );
}

/**
 * Activation: create or upgrade the tables and schedule the tick (on every site, when network-wide).
 *
 * @since 0.1.0
 *
 * @param bool $network_wide Activated for the whole network.
 */
function activate( $network_wide = false ): void {
	if ( $network_wide ) {
		Network\for_each_site( __NAMESPACE__ . '\\Network\\set_up_site' );
		return;
	}
	Network\set_up_site();
}

/**
 * Deactivation: stop the tick, the digest and the image events (on every site, when network-wide). Data
 * stays until the plugin is deleted.
 *
 * @since 0.1.0
 *
 * @param bool $network_wide Deactivated for the whole network.
 */
function deactivate( $network_wide = false ): void {
	if ( $network_wide ) {
		Network\for_each_site( __NAMESPACE__ . '\\Network\\stop_site' );
		return;
	}
	Network\stop_site();
}

/**
 * Load translations shipped in languages/ (translate.wordpress.org files load on their own).
 *
 * @since 0.1.0
 */
function load_textdomain(): void {
	load_plugin_textdomain( 'automationtools-ai', false, dirname( plugin_basename( PLUGIN_FILE ) ) . '/languages' );
}
