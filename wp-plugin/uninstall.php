<?php
/**
 * Uninstall: delete the plugin's options, its cron hook and its tables, on every site of a network.
 *
 * The posts it made stay: they are the site owner's content (with their source meta).
 *
 * @package automationtools-ai
 */

namespace ATAI;

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/inc/settings.php';
require_once __DIR__ . '/inc/schema.php';
// WordPress runs this file without loading the plugin: the files naming the other tables come too.
require_once __DIR__ . '/inc/dedupe.php';
require_once __DIR__ . '/inc/skips.php';
require_once __DIR__ . '/inc/cron.php';
require_once __DIR__ . '/inc/health.php';
require_once __DIR__ . '/inc/health-digest.php';
require_once __DIR__ . '/inc/admin/health-notices.php';
require_once __DIR__ . '/inc/network.php';

Network\for_each_site(
	static function () {
		foreach ( array_merge( Settings\OPTIONS, array( Schema\VERSION_OPTION, Health\LAST_TICK_OPTION ) ) as $atai_option ) {
			delete_option( $atai_option );
		}
		wp_clear_scheduled_hook( Cron\HOOK );
		wp_clear_scheduled_hook( Health_Digest\HOOK );
		Schema\drop_tables();
	}
);
// User meta is the network's, shared by every site.
delete_metadata( 'user', 0, Admin\Health_Notices\DISMISSED_META, '', true );
