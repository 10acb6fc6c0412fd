<?php
/**
 * Uninstall: delete the plugin's options, its cron hook and its tables.
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
require_once __DIR__ . '/inc/cron.php';
require_once __DIR__ . '/inc/health.php';
require_once __DIR__ . '/inc/health-digest.php';
require_once __DIR__ . '/inc/admin/health-notices.php';

foreach ( array_merge( Settings\OPTIONS, array( Schema\VERSION_OPTION, Health\LAST_TICK_OPTION ) ) as $atai_option ) {
	delete_option( $atai_option );
}
delete_metadata( 'user', 0, Admin\Health_Notices\DISMISSED_META, '', true );
wp_clear_scheduled_hook( Cron\HOOK );
wp_clear_scheduled_hook( Health_Digest\HOOK );
Schema\drop_tables();
