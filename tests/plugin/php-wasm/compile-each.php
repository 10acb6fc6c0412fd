<?php
/**
 * Compile every PHP file of the plugin without running it: syntax errors and compile-time deprecations.
 *
 *     PHP=8.5 node php.cjs -d opcache.enable_cli=1 compile-each.php <plugin dir>
 *
 * @package automationtools-ai
 */

require __DIR__ . '/diagnostics.php';

$atai_files = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $atai_plugin_dir, FilesystemIterator::SKIP_DOTS ) );
$atai_count = 0;
foreach ( $atai_files as $atai_file ) {
	if ( 'php' !== $atai_file->getExtension() ) {
		continue;
	}
	++$atai_count;
	try {
		opcache_compile_file( $atai_file->getPathname() );
	} catch ( ParseError $error ) {
		$GLOBALS['atai_diagnostics'][] = "{$error->getFile()}:{$error->getLine()}: {$error->getMessage()}";
	}
}
echo "PHP ", PHP_VERSION, ": compiled $atai_count files\n";
if ( 0 === $atai_count ) {
	$GLOBALS['atai_diagnostics'][] = "$atai_plugin_dir: no PHP files";
}
$GLOBALS['atai_finished'] = true;
