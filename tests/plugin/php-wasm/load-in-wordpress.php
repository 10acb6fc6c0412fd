<?php
/**
 * Load the site's WordPress with the plugin active, then do what an admin page and a REST request do.
 *
 * It runs the plugin's hooks on load, init, admin_menu, admin_init and rest_api_init as an administrator,
 * renders both admin screens, and includes every plugin file that is not loaded by then (uninstall.php
 * would uninstall: compile-each.php compiles it). The environment names the site, as for phpunit.
 *
 *     PHP=8.5 node php.cjs load-in-wordpress.php <plugin dir>
 *
 * @package automationtools-ai
 */

require __DIR__ . '/diagnostics.php';

$_SERVER['HTTP_HOST']        = '127.0.0.1';
$_SERVER['SERVER_NAME']      = '127.0.0.1';
$_SERVER['REQUEST_METHOD']   = 'GET';
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'WORDPRESS_CONFIG' );

require getenv( 'ATAI_WP_CORE' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
// WordPress turns error_reporting back to its own choice when WP_DEBUG is off; the check wants it all.
error_reporting( E_ALL );

if ( ! function_exists( 'ATAI\\bootstrap' ) ) {
	$GLOBALS['atai_diagnostics'][] = "$atai_plugin_dir: the plugin is not active on this site";
	exit;
}

$atai_admins = get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) );
wp_set_current_user( (int) reset( $atai_admins ) );
do_action( 'admin_menu' );
do_action( 'admin_init' );
rest_get_server();

foreach ( array(
	'toplevel_page_atai-feeds'              => 'ATAI\\Admin\\Feeds_Page\\render',
	'automationtools-ai_page_atai-settings' => 'ATAI\\Admin\\Settings_Page\\render',
) as $atai_screen => $atai_render ) {
	set_current_screen( $atai_screen );
	ob_start();
	$atai_render();
	ob_end_clean();
}

$atai_files = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $atai_plugin_dir, FilesystemIterator::SKIP_DOTS ) );
foreach ( $atai_files as $atai_file ) {
	if ( 'php' === $atai_file->getExtension() && 'uninstall.php' !== $atai_file->getFilename() ) {
		require_once $atai_file->getPathname();
	}
}
echo 'PHP ', PHP_VERSION, ': WordPress ', get_bloginfo( 'version' ), " loaded the plugin and rendered its screens\n";
$GLOBALS['atai_finished'] = true;
