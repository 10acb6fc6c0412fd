<?php
/**
 * Activation, deactivation, the schema and the plugin header.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Cron;
use ATAI\Schema;

/**
 * The site was provisioned with the plugin activated by activate_plugin(), as wp-admin does it.
 */
final class ActivationTest extends TestCase {

	const PLUGIN = 'automationtools-ai/automationtools-ai.php';

	public function test_activation_created_the_feeds_and_items_tables_with_a_unique_item_key(): void {
		global $wpdb;
		$this->assertSame( Schema\feeds_table(), $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\feeds_table() ) ) );
		$this->assertSame( Schema\items_table(), $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema\items_table() ) ) );

		$unique = $wpdb->get_row( 'SHOW INDEX FROM ' . Schema\items_table() . " WHERE Key_name = 'item_key'", ARRAY_A );
		$this->assertSame( 'item_key', $unique['Column_name'] );
		$this->assertSame( '0', (string) $unique['Non_unique'] );
		$this->assertSame( Schema\VERSION, get_option( Schema\VERSION_OPTION ) );
	}

	public function test_activation_scheduled_the_tick_every_minute(): void {
		$this->assertNotFalse( wp_next_scheduled( Cron\HOOK ) );
		$this->assertSame( Cron\SCHEDULE, wp_get_schedule( Cron\HOOK ) );
		$this->assertSame( 60, wp_get_schedules()[ Cron\SCHEDULE ]['interval'] );
	}

	public function test_deactivation_unschedules_the_tick_and_activation_schedules_it_again_without_a_notice(): void {
		deactivate_plugins( self::PLUGIN );
		$this->assertFalse( wp_next_scheduled( Cron\HOOK ) );
		$this->assertFalse( is_plugin_active( self::PLUGIN ) );

		$result = activate_plugin( self::PLUGIN );

		$this->assertNull( $result );
		$this->assertTrue( is_plugin_active( self::PLUGIN ) );
		$this->assertNotFalse( wp_next_scheduled( Cron\HOOK ) );
		// TestCase::tearDown() fails the test if the debug log gained a line meanwhile.
	}

	public function test_a_stored_schema_version_that_differs_runs_the_installer_on_load(): void {
		update_option( Schema\VERSION_OPTION, '0' );
		delete_option( \ATAI\Settings\WORKER_SECRET );

		Schema\upgrade_if_needed();

		$this->assertSame( Schema\VERSION, get_option( Schema\VERSION_OPTION ) );
		$this->assertSame( '', get_option( \ATAI\Settings\WORKER_SECRET ) );
	}

	public function test_the_plugin_header_declares_its_requirements_and_text_domain(): void {
		$data = get_plugin_data( WP_PLUGIN_DIR . '/' . self::PLUGIN, false, false );
		$this->assertSame( 'AutomationTools.AI', $data['Name'] );
		$this->assertSame( '6.1', $data['RequiresWP'] );
		$this->assertSame( '8.1', $data['RequiresPHP'] );
		$this->assertSame( 'automationtools-ai', $data['TextDomain'] );
		$this->assertSame( 'GPLv2 or later', get_file_data( WP_PLUGIN_DIR . '/' . self::PLUGIN, array( 'License' => 'License' ) )['License'] );
	}

	public function test_nothing_the_plugin_did_while_the_site_was_provisioned_reached_the_debug_log(): void {
		$log = ATAI_TESTS_DEBUG_LOG_AT_START;
		$this->assertStringNotContainsString( '/plugins/automationtools-ai/', $log );
		$this->assertStringNotContainsString( 'atai stage=', $log );
	}
}
