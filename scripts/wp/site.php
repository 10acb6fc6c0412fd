<?php
/**
 * Site set-up commands for a WordPress site of scripts/stack.py (there is no WP-CLI here).
 *
 * Usage: ATAI_WP_CORE=<core directory> WORDPRESS_CONFIG=atai-<name> php site.php <command> [arguments]
 *   install <url> <title> <user> <password> <email>   install WordPress if it is not installed; the user's
 *                                                      password is set to <password> either way
 *   install-network <title> <email>                    make the installed site a network of sites in
 *                                                      subdirectories of 127.0.0.1 (needs WP_ALLOW_MULTISITE)
 *   activate [--network]                               activate the plugin (runs its activation hook), on
 *                                                      the whole network with --network
 *   app-password <user> <name>                         print a new application password as JSON
 *   version                                            print the core's version as WordPress reports it
 *
 * Run it as the web server's user so uploads stay writable by the server.
 *
 * @package automationtools-ai
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

$_SERVER['HTTP_HOST']        = '127.0.0.1';
$_SERVER['SERVER_NAME']      = '127.0.0.1';
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['WORDPRESS_CONFIG'] = getenv( 'WORDPRESS_CONFIG' );

$atai_command = $argv[1] ?? '';
$atai_args    = array_slice( $argv, 2 );

if ( 'install' === $atai_command ) {
	define( 'WP_INSTALLING', true );
}

require getenv( 'ATAI_WP_CORE' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

/**
 * There is no mail server: the "new site" e-mail would only print an error.
 */
function wp_new_blog_notification() {}

switch ( $atai_command ) {
	case 'install':
		list( $url, $title, $user, $password, $email ) = $atai_args;
		if ( ! is_blog_installed() ) {
			wp_install( $title, $user, $email, false, '', wp_slash( $password ) );
			update_option( 'permalink_structure', '/%postname%/' );
			update_option( 'ping_sites', '' );
			update_option( 'default_pingback_flag', 0 );
			echo wp_json_encode( array( 'installed' => true ) ), "\n";
		} else {
			// The password in the checkout's state is the one `make up` prints: it must be the one that logs in,
			// also when the state was lost (a fresh clone in the same place) while the database stayed.
			$atai_admin = get_user_by( 'login', $user );
			if ( $atai_admin ) {
				wp_set_password( $password, $atai_admin->ID );
			} else {
				wp_insert_user( array( 'user_login' => $user, 'user_pass' => $password, 'user_email' => $email, 'role' => 'administrator' ) );
			}
			echo wp_json_encode( array( 'installed' => false ) ), "\n";
		}
		break;

	case 'install-network':
		list( $title, $email ) = $atai_args;
		// What wp-admin/network.php does first: a single site's $wpdb does not name the network's tables.
		foreach ( $wpdb->tables( 'ms_global' ) as $table => $prefixed_table ) {
			$wpdb->$table = $prefixed_table;
		}
		install_network();
		$result = populate_network( 1, '127.0.0.1', $email, $title, '/', false );
		// A second provisioning finds the network there already.
		if ( is_wp_error( $result ) && 'siteid_exists' !== $result->get_error_code() ) {
			fwrite( STDERR, 'install-network: ' . $result->get_error_message() . "\n" );
			exit( 1 );
		}
		echo wp_json_encode( array( 'network' => true ) ), "\n";
		break;

	case 'activate':
		$result = activate_plugin( 'automationtools-ai/automationtools-ai.php', '', in_array( '--network', $atai_args, true ) );
		if ( is_wp_error( $result ) ) {
			fwrite( STDERR, 'activate: ' . $result->get_error_message() . "\n" );
			exit( 1 );
		}
		flush_rewrite_rules();
		echo wp_json_encode( array( 'active' => is_plugin_active( 'automationtools-ai/automationtools-ai.php' ) ) ), "\n";
		break;

	case 'app-password':
		list( $login, $name ) = $atai_args;
		$user = get_user_by( 'login', $login );
		if ( ! $user ) {
			fwrite( STDERR, "app-password: no user $login\n" );
			exit( 1 );
		}
		WP_Application_Passwords::delete_all_application_passwords( $user->ID );
		list( $password ) = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => $name ) );
		echo wp_json_encode( array( 'user' => $login, 'password' => WP_Application_Passwords::chunk_password( $password ) ) ), "\n";
		break;

	case 'version':
		echo get_bloginfo( 'version' ), "\n";
		break;

	default:
		fwrite( STDERR, "usage: site.php install|activate|app-password|version ...\n" );
		exit( 2 );
}
