<?php
/**
 * Load the real WordPress site that tests/plugin/run.py provisioned, with the plugin active.
 *
 * @package automationtools-ai
 */

$_SERVER['HTTP_HOST']        = '127.0.0.1';
$_SERVER['SERVER_NAME']      = '127.0.0.1';
$_SERVER['REQUEST_METHOD']   = 'GET';
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'WORDPRESS_CONFIG' );

if ( ! getenv( 'ATAI_WP_CORE' ) ) {
	fwrite( STDERR, "ATAI_WP_CORE (the WordPress core directory) is not set: run the suite with tests/plugin/run.py.\n" );
	exit( 1 );
}
require getenv( 'ATAI_WP_CORE' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

if ( ! function_exists( 'ATAI\\bootstrap' ) ) {
	fwrite( STDERR, "The plugin is not active on this site: provision it with tests/plugin/run.py.\n" );
	exit( 1 );
}

// WordPress 6.1's bundled Requests library declares ArrayAccess methods that PHP 8.2 deprecates; the
// notices come from core when these classes load. Load them once here, before any test, so a test's
// first HTTP request does not turn core's deprecation into a failure of ours. Requests 2 (WordPress
// 6.2 and newer) has no such notice, and its old class names are themselves deprecated.
if ( ! class_exists( 'WpOrg\Requests\Requests' ) ) {
	class_exists( 'Requests_Cookie_Jar' );
	class_exists( 'Requests_Utility_CaseInsensitiveDictionary' );
}

// What provisioning (install, activation) wrote to the debug log, before any test ran.
define( 'ATAI_TESTS_DEBUG_LOG_AT_START', is_string( WP_DEBUG_LOG ) && file_exists( WP_DEBUG_LOG ) ? (string) file_get_contents( WP_DEBUG_LOG ) : '' );

require __DIR__ . '/includes/class-testcase.php';
require __DIR__ . '/includes/class-rest-testcase.php';
require __DIR__ . '/includes/class-worker-testcase.php';
require __DIR__ . '/includes/class-local-server.php';
require __DIR__ . '/includes/class-contract-fixtures.php';
