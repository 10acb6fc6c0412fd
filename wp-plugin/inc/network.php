<?php
/**
 * Multisite: the plugin's tables and tick on every site of a network, on sites created later, and gone
 * with a deleted site. Each site keeps its own feeds, ledger and settings.
 *
 * @package automationtools-ai
 */

namespace ATAI\Network;

use ATAI\Cron;
use ATAI\Health_Digest;
use ATAI\Media;
use ATAI\Schema;

/**
 * Run a callback on each site of the network (on the current site only, outside a network).
 *
 * @since 0.2.0
 *
 * @param callable $work Called with no argument while switched to each site.
 */
function for_each_site( callable $work ): void {
	if ( ! is_multisite() ) {
		$work();
		return;
	}
	foreach ( get_sites(
		array(
			'fields' => 'ids',
			'number' => 0,
		)
	) as $site_id ) {
		switch_to_blog( (int) $site_id );
		try {
			$work();
		} finally {
			restore_current_blog();
		}
	}
}

/**
 * Set up one site: its tables, its tick and its daily digest.
 *
 * @since 0.2.0
 */
function set_up_site(): void {
	Schema\install();
	Cron\ensure_scheduled();
	Health_Digest\ensure_scheduled();
}

/**
 * Stop one site's scheduled work (deactivation); its data stays.
 *
 * @since 0.2.0
 */
function stop_site(): void {
	Cron\unschedule();
	Health_Digest\unschedule();
	wp_clear_scheduled_hook( Media\PENDING_HOOK );
	wp_clear_scheduled_hook( Media\SIZES_HOOK );
}

/**
 * Whether the plugin is active for the whole network.
 *
 * @since 0.2.0
 */
function network_active(): bool {
	if ( ! is_multisite() ) {
		return false;
	}
	if ( ! function_exists( 'is_plugin_active_for_network' ) ) {
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
	}
	return is_plugin_active_for_network( plugin_basename( \ATAI\PLUGIN_FILE ) );
}

/**
 * A site added to a network where the plugin is network-active gets its tables and tick at once
 * (wp_initialize_site, after core made the site's own tables).
 *
 * @since 0.2.0
 *
 * @param \WP_Site $site The new site.
 */
function set_up_new_site( $site ): void {
	if ( ! network_active() ) {
		return;
	}
	switch_to_blog( (int) $site->blog_id );
	try {
		set_up_site();
	} finally {
		restore_current_blog();
	}
}

/**
 * A deleted site's tables go with core's (wpmu_drop_tables runs switched to that site).
 *
 * @since 0.2.0
 *
 * @param string[] $tables Tables to drop.
 * @return string[]
 */
function drop_tables_with_site( $tables ) {
	return array_merge( (array) $tables, Schema\table_names() );
}
