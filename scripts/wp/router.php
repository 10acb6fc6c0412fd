<?php
/**
 * Router for PHP's built-in web server in front of a WordPress core.
 *
 * Core files are served from the document root (scripts/stack.py serves the site's core there);
 * /wp-content/ maps to the site's own content directory; everything else goes to index.php so
 * pretty permalinks and /wp-json/ work. On Debian's core the site is chosen by the WORDPRESS_CONFIG
 * environment variable, which Debian's wp-config.php reads from $_SERVER.
 *
 * @package automationtools-ai
 */

$_SERVER['WORDPRESS_CONFIG'] = getenv( 'WORDPRESS_CONFIG' );

$atai_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );

if ( str_starts_with( $atai_path, '/wp-content/' ) ) {
	$atai_types = array(
		'css'   => 'text/css',
		'js'    => 'text/javascript',
		'json'  => 'application/json',
		'svg'   => 'image/svg+xml',
		'png'   => 'image/png',
		'jpg'   => 'image/jpeg',
		'jpeg'  => 'image/jpeg',
		'gif'   => 'image/gif',
		'webp'  => 'image/webp',
		'woff2' => 'font/woff2',
		'woff'  => 'font/woff',
		'txt'   => 'text/plain',
		'xml'   => 'application/xml',
	);
	$atai_file      = getenv( 'ATAI_WP_CONTENT_DIR' ) . substr( $atai_path, strlen( '/wp-content' ) );
	$atai_extension = strtolower( pathinfo( $atai_file, PATHINFO_EXTENSION ) );
	// Only static files of known types: never PHP, never a path that climbs out.
	if ( ! str_contains( $atai_path, '..' ) && isset( $atai_types[ $atai_extension ] ) && is_file( $atai_file ) ) {
		header( 'Content-Type: ' . $atai_types[ $atai_extension ] );
		header( 'Content-Length: ' . filesize( $atai_file ) );
		readfile( $atai_file );
		return true;
	}
	http_response_code( 404 );
	return true;
}

if ( '/' !== $atai_path && file_exists( $_SERVER['DOCUMENT_ROOT'] . $atai_path ) ) {
	return false; // The built-in server serves the core file (or runs the core script) itself.
}

$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
