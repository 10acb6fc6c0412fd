<?php
/**
 * Multisite: network activation sets up every site, a site created later is set up at once, a deleted
 * site's tables go, and uninstall removes the tables from every site. Runs on the network that run.py
 * provisions (site 'phpunit-multisite'); the single sites skip this group.
 *
 * @package automationtools-ai
 * @group multisite
 */

namespace ATAI\Tests;

use ATAI\Cron;
use ATAI\Schema;

/**
 * Creating and dropping tables commits (MariaDB ends a transaction before DDL), so each test undoes what
 * it did and leaves the network as run.py made it: the plugin network-active on the main site only.
 *
 * @group multisite
 */
final class MultisiteTest extends TestCase {

	const PLUGIN = 'automationtools-ai/automationtools-ai.php';

	/**
	 * Sites a test created, deleted afterwards.
	 *
	 * @var int[]
	 */
	private array $created = array();

	protected function tearDown(): void {
		foreach ( $this->created as $site_id ) {
			if ( get_site( $site_id ) ) {
				wp_delete_site( $site_id );
			}
		}
		parent::tearDown();
	}

	/**
	 * A new site of the network, in its own subdirectory.
	 */
	private function create_site( string $name ): int {
		$site_id = wp_insert_site(
			array(
				'domain' => '127.0.0.1',
				'path'   => '/' . $name . '-' . strtolower( wp_generate_password( 6, false ) ) . '/',
				'title'  => $name,
			)
		);
		if ( is_wp_error( $site_id ) ) {
			throw new \RuntimeException( $site_id->get_error_message() );
		}
		$this->created[] = $site_id;
		return $site_id;
	}

	/**
	 * The plugin's tables that exist on a site.
	 *
	 * @return string[]
	 */
	private static function tables_of( int $site_id ): array {
		global $wpdb;
		switch_to_blog( $site_id );
		try {
			return array_values(
				array_filter(
					Schema\table_names(),
					static fn( string $table ): bool => $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) )
				)
			);
		} finally {
			restore_current_blog();
		}
	}

	/**
	 * The names the plugin's tables have on a site.
	 *
	 * @return string[]
	 */
	private static function names_on( int $site_id ): array {
		switch_to_blog( $site_id );
		try {
			return Schema\table_names();
		} finally {
			restore_current_blog();
		}
	}

	/**
	 * Whether the tick is scheduled on a site.
	 */
	private static function tick_scheduled_on( int $site_id ): bool {
		switch_to_blog( $site_id );
		try {
			return false !== wp_next_scheduled( Cron\HOOK );
		} finally {
			restore_current_blog();
		}
	}

	public function test_the_suite_runs_on_a_network_where_the_plugin_is_network_active(): void {
		$this->assertTrue( is_multisite() );
		$this->assertTrue( is_plugin_active_for_network( self::PLUGIN ) );
	}

	public function test_network_activation_creates_the_tables_and_the_tick_on_every_site(): void {
		deactivate_plugins( self::PLUGIN, false, true );
		$second = $this->create_site( 'second' ); // made while the plugin is off: nothing of ours there yet
		$this->assertSame( array(), self::tables_of( $second ) );

		$result = activate_plugin( self::PLUGIN, '', true );

		$this->assertNull( $result );
		foreach ( array( get_main_site_id(), $second ) as $site_id ) {
			$this->assertSame( self::names_on( $site_id ), self::tables_of( $site_id ), "site $site_id" );
			$this->assertTrue( self::tick_scheduled_on( $site_id ), "site $site_id" );
		}
	}

	public function test_a_site_created_later_gets_the_tables_and_the_tick_and_loses_the_tables_when_deleted(): void {
		$later = $this->create_site( 'later' );

		$this->assertSame( self::names_on( $later ), self::tables_of( $later ) );
		$this->assertTrue( self::tick_scheduled_on( $later ) );

		$tables = self::names_on( $later );
		wp_delete_site( $later );
		global $wpdb;
		foreach ( $tables as $table ) {
			$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ), $table );
		}
	}

	public function test_each_site_keeps_its_own_feeds(): void {
		$second = $this->create_site( 'own-feeds' );
		// Creating the site's tables committed the test's transaction: the feed is removed by hand.
		$main = self::create_feed( array( 'url' => 'https://main.example.org/feed.xml' ) );
		try {
			switch_to_blog( $second );
			try {
				$this->assertNull( \ATAI\Feeds\get( $main->id ) );
				$this->assertSame( 0, \ATAI\Feeds\count_all() );
			} finally {
				restore_current_blog();
			}
			$this->assertSame( 'https://main.example.org/feed.xml', \ATAI\Feeds\get( $main->id )->url );
		} finally {
			\ATAI\Feeds\delete( $main->id );
		}
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_uninstall_on_the_network_removes_the_tables_from_every_site(): void {
		$second = $this->create_site( 'uninstall' );
		$this->assertSame( self::names_on( $second ), self::tables_of( $second ) );

		try {
			define( 'WP_UNINSTALL_PLUGIN', self::PLUGIN );
			include WP_PLUGIN_DIR . '/automationtools-ai/uninstall.php';
			wp_cache_flush();

			foreach ( array( get_main_site_id(), $second ) as $site_id ) {
				$this->assertSame( array(), self::tables_of( $site_id ), "site $site_id" );
				$this->assertFalse( self::tick_scheduled_on( $site_id ), "site $site_id" );
			}
		} finally {
			\ATAI\activate( true );
		}
		$this->assertSame( self::names_on( get_main_site_id() ), self::tables_of( get_main_site_id() ) );
	}
}
