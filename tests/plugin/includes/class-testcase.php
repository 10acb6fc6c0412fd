<?php
/**
 * Base test case: each test runs in a database transaction that is rolled back afterwards, and
 * fails if anything was written to the site's debug log meanwhile (a notice, warning, deprecation
 * or database error under WP_DEBUG).
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Transaction;

/**
 * Transaction per test, a clean object cache and user, and helpers to make users and feeds.
 */
abstract class TestCase extends \PHPUnit\Framework\TestCase {

	/**
	 * Size of the debug log when the test started.
	 *
	 * @var int
	 */
	private int $log_offset = 0;

	/**
	 * Patterns of debug log entries this test causes on purpose.
	 *
	 * @var string[]
	 */
	private array $expected_log_entries = array();

	protected function setUp(): void {
		parent::setUp();
		$this->log_offset = self::debug_log_size();
		$_GET             = array();
		$_POST            = array();
		wp_cache_flush();
		wp_set_current_user( 0 );
		Transaction\begin();
	}

	protected function tearDown(): void {
		while ( Transaction\depth() > 0 ) {
			Transaction\rollback();
		}
		wp_cache_flush();
		wp_set_current_user( 0 );
		$_GET  = array();
		$_POST = array();
		$new   = $this->unexpected_log_entries( self::debug_log_since( $this->log_offset ) );
		parent::tearDown();
		$this->assertSame( '', $new, 'The site\'s debug log gained lines during this test.' );
	}

	/**
	 * Declare a debug log entry this test causes on purpose (a regular expression).
	 */
	protected function expect_log_entry( string $pattern ): void {
		$this->expected_log_entries[] = $pattern;
	}

	/**
	 * The log text without the entries the test expected.
	 */
	private function unexpected_log_entries( string $log ): string {
		$entries = preg_split( '/(?=^\[\d{2}-\w{3}-\d{4} )/m', $log, -1, PREG_SPLIT_NO_EMPTY );
		$left    = array_filter(
			$entries,
			function ( string $entry ): bool {
				foreach ( $this->expected_log_entries as $pattern ) {
					if ( preg_match( $pattern, $entry ) ) {
						return false;
					}
				}
				return true;
			}
		);
		return implode( '', $left );
	}

	/**
	 * Current size of the debug log (0 when there is none).
	 */
	protected static function debug_log_size(): int {
		clearstatcache();
		return is_string( WP_DEBUG_LOG ) && file_exists( WP_DEBUG_LOG ) ? (int) filesize( WP_DEBUG_LOG ) : 0;
	}

	/**
	 * What the debug log gained after an offset.
	 */
	protected static function debug_log_since( int $offset ): string {
		if ( self::debug_log_size() <= $offset ) {
			return '';
		}
		return (string) file_get_contents( WP_DEBUG_LOG, false, null, $offset );
	}

	/**
	 * A user with a role; returns the ID.
	 */
	protected static function create_user( string $role ): int {
		$login = $role . '_' . wp_generate_password( 8, false );
		$id    = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password(),
				'user_email' => $login . '@example.org',
				'role'       => $role,
			)
		);
		if ( is_wp_error( $id ) ) {
			throw new \RuntimeException( $id->get_error_message() );
		}
		return $id;
	}

	/**
	 * Make a user of this role the current user; returns the ID.
	 */
	protected static function act_as( string $role ): int {
		$id = self::create_user( $role );
		wp_set_current_user( $id );
		return $id;
	}

	/**
	 * A feed with a unique URL (fields by REST name override the defaults); returns it as Feeds\get() does.
	 *
	 * @param array<string, mixed> $fields Fields to set.
	 */
	protected static function create_feed( array $fields = array() ): \ATAI\Feed {
		static $counter = 0;
		++$counter;
		$fields += array(
			'url'    => 'https://news.example.org/feed-' . $counter . '-' . wp_generate_password( 6, false ) . '.xml',
			'author' => self::create_user( 'editor' ),
		);
		$id = \ATAI\Feeds\create( $fields );
		if ( is_wp_error( $id ) ) {
			throw new \RuntimeException( $id->get_error_message() );
		}
		return \ATAI\Feeds\get( $id );
	}

	/**
	 * Set columns of a feed row directly (state a test starts from).
	 *
	 * @param int                  $id      Feed ID.
	 * @param array<string, mixed> $columns Column values.
	 * @return \ATAI\Feed The feed after the change.
	 */
	protected static function set_feed_columns( int $id, array $columns ): \ATAI\Feed {
		global $wpdb;
		$wpdb->update( \ATAI\Schema\feeds_table(), $columns, array( 'id' => $id ) );
		return \ATAI\Feeds\get( $id );
	}

	/**
	 * An environment value run.py sets (the real worker's URL and secret, the fake origin's URL).
	 */
	protected static function env( string $name ): string {
		$value = getenv( $name );
		if ( ! is_string( $value ) || '' === $value ) {
			throw new \RuntimeException( "$name is not set: run this suite with tests/plugin/run.py, which starts the worker and the fake origin." );
		}
		return $value;
	}

	/**
	 * A URL on the fake feed origin.
	 */
	protected static function origin( string $path ): string {
		return self::env( 'ATAI_TEST_FEED_ORIGIN' ) . $path;
	}

	/**
	 * The fake origin's request log, oldest first: each request's method, path (with query), status and headers.
	 *
	 * @return array<int, array{method: string, path: string, status: int, headers: array<string, string>}>
	 */
	protected static function origin_log(): array {
		$response = wp_remote_get( self::origin( '/_log' ), array( 'timeout' => 10 ) );
		$log      = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $log ) ) {
			throw new \RuntimeException( 'The fake origin did not answer with its request log.' );
		}
		return $log;
	}

	/**
	 * Point the plugin at a worker URL with a shared secret.
	 */
	protected static function use_worker( string $url, string $secret = 'test-secret-0123456789abcdef' ): void {
		update_option( \ATAI\Settings\WORKER_URL, $url );
		update_option( \ATAI\Settings\WORKER_SECRET, $secret, false );
	}
}
