<?php
/**
 * Uninstall: options, the cron hook and the tables go; the posts stay.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Cron;
use ATAI\Posts;
use ATAI\Schema;
use ATAI\Settings;

/**
 * Runs uninstall.php as WordPress does (WP_UNINSTALL_PLUGIN defined).
 *
 * DROP TABLE ends the test's transaction (MariaDB commits before DDL), so this test cleans up
 * after itself and activates the plugin again.
 */
final class UninstallTest extends TestCase {

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_uninstall_deletes_the_options_the_tick_and_the_tables_but_keeps_the_posts(): void {
		global $wpdb;
		update_option( Settings\WORKER_URL, 'http://worker:8090' );
		update_option( Settings\WORKER_SECRET, 'secret-to-be-deleted-0001' );
		update_option( Settings\AI_API_KEY, 'sk-to-be-deleted' );
		update_option( Settings\AI_MODEL, 'gpt-4o' );
		update_option( Settings\AI_MAX_IN_FLIGHT, 3 );
		update_option( Settings\AI_ENABLED, false );
		$feed_id = \ATAI\Feeds\create(
			array(
				'url'    => 'https://news.example.org/uninstall.xml',
				'author' => 1,
			)
		);
		$feed    = \ATAI\Feeds\get( $feed_id );
		$draft   = Contract_Fixtures::draft( $feed_id, 'stays', array( 'tags' => array() ) );
		$post_id = \ATAI\Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];
		$options = array_merge( Settings\OPTIONS, array( Schema\VERSION_OPTION ) );
		$list    = "'" . implode( "','", array_map( 'esc_sql', $options ) ) . "'";

		try {
			define( 'WP_UNINSTALL_PLUGIN', 'automationtools-ai/automationtools-ai.php' );
			include WP_PLUGIN_DIR . '/automationtools-ai/uninstall.php';
			wp_cache_flush();

			$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name IN ($list)" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- escaped above.
			$this->assertFalse( wp_next_scheduled( Cron\HOOK ) );
			$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\feeds_table() ) ) );
			$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\items_table() ) ) );
			$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\seen_callbacks_table() ) ) );
			$this->assertSame( 'draft', get_post_status( $post_id ) );
			$this->assertSame( 'https://news.example.org/articles/stays', get_post_meta( $post_id, Posts\META_SOURCE_URL, true ) );
		} finally {
			// Everything above was committed by the DROP TABLE: put the site back as run.py left it.
			wp_delete_post( $post_id, true );
			foreach ( $options as $option ) {
				delete_option( $option );
			}
			\ATAI\activate();
		}
		$this->assertSame( Schema\feeds_table(), $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\feeds_table() ) ) );
	}
}
