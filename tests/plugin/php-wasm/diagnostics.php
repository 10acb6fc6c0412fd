<?php
/**
 * Record every notice, warning and deprecation raised in a plugin file, and report them when PHP ends.
 *
 * Included first by compile-each.php and load-in-wordpress.php, which pass the plugin's directory as
 * their first argument and set $GLOBALS['atai_finished'] on their last line. Each diagnostic is printed
 * as "file:line: message"; the exit status is 0 only when the script finished and the plugin raised
 * nothing (WordPress ends the process on a database error, for one).
 *
 * @package automationtools-ai
 */

// phpcs:disable WordPress.WP.AlternativeFunctions -- this runs before and without WordPress.

error_reporting( E_ALL );
ini_set( 'display_errors', '0' );

$atai_plugin_dir = realpath( (string) ( $argv[1] ?? '' ) );
if ( false === $atai_plugin_dir || ! is_dir( $atai_plugin_dir ) ) {
	fwrite( STDERR, "php-wasm: the plugin directory is the first argument\n" );
	exit( 2 );
}
$GLOBALS['atai_diagnostics'] = array();
$GLOBALS['atai_finished']    = false;

// Called for every error whatever error_reporting() says; core's own notices on a newer PHP are not ours.
set_error_handler(
	static function ( int $level, string $message, string $file, int $line ) use ( $atai_plugin_dir ): bool {
		if ( str_starts_with( (string) realpath( $file ), $atai_plugin_dir . '/' ) ) {
			$GLOBALS['atai_diagnostics'][] = "$file:$line: $message";
		}
		return true;
	}
);

register_shutdown_function(
	static function (): void {
		$fatal = error_get_last();
		if ( null !== $fatal && in_array( $fatal['type'], array( E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR ), true ) ) {
			$GLOBALS['atai_diagnostics'][] = "{$fatal['file']}:{$fatal['line']}: {$fatal['message']}";
		}
		if ( ! $GLOBALS['atai_finished'] ) {
			$GLOBALS['atai_diagnostics'][] = $_SERVER['SCRIPT_FILENAME'] . ': ended before its last line';
		}
		foreach ( $GLOBALS['atai_diagnostics'] as $diagnostic ) {
			echo $diagnostic, "\n"; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- plain text on a terminal.
		}
		echo 'PHP ', PHP_VERSION, ': problems found: ', count( $GLOBALS['atai_diagnostics'] ), "\n";
		exit( $GLOBALS['atai_diagnostics'] ? 1 : 0 );
	}
);
