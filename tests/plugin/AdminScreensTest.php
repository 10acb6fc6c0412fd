<?php
/**
 * The wp-admin screens: menu, feeds list, add/edit form, settings page, and their form handlers.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Admin\Settings_Page;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;
use ATAI\Settings;

/**
 * Renders the screens as an administrator and reads the HTML.
 */
final class AdminScreensTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		self::act_as( 'administrator' );
	}

	/**
	 * The HTML a screen function prints.
	 */
	private static function render( callable $screen, string $screen_id ): string {
		set_current_screen( $screen_id );
		ob_start();
		$screen();
		return (string) ob_get_clean();
	}

	/**
	 * A wp_die handler that throws instead of ending the process (add it to 'wp_die_handler').
	 */
	public static function throwing_die_handler(): callable {
		return static function ( $message ) {
			throw new \RuntimeException( is_string( $message ) ? $message : 'wp_die' );
		};
	}

	public function test_the_menu_offers_feeds_and_settings_under_automationtools_ai(): void {
		global $menu, $submenu;
		$menu    = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a clean menu for this test.
		$submenu = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a clean menu for this test.

		Feeds_Page\add_menu();
		Settings_Page\add_menu();

		$this->assertSame( 'AutomationTools.AI', $menu[ array_key_first( $menu ) ][0] );
		$this->assertSame( array( 'Feeds', 'Settings' ), array_column( $submenu[ Feeds_Page\SLUG ], 0 ) );
		$this->assertSame( array( Feeds_Page\SLUG, Settings_Page\SLUG ), array_column( $submenu[ Feeds_Page\SLUG ], 2 ) );
		$this->assertSame( array( 'manage_options', 'manage_options' ), array_column( $submenu[ Feeds_Page\SLUG ], 1 ) );
	}

	public function test_the_feeds_list_shows_each_feed_with_its_actions_and_its_last_error_in_red(): void {
		$feed = self::create_feed();
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $feed->id, 'listed' ) ) );
		self::set_feed_columns(
			$feed->id,
			array(
				'title'      => 'Harbour <News>',
				'last_error' => 'fetch: got 404 from <script>alert(1)</script>',
			)
		);

		$html = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$this->assertStringContainsString( 'Harbour &lt;News&gt;', $html );
		$this->assertStringContainsString( esc_html( $feed->url ), $html );
		$this->assertStringContainsString( '<span class="atai-error">fetch: got 404 from &lt;script&gt;alert(1)&lt;/script&gt;</span>', $html );
		$this->assertStringNotContainsString( '<script>alert(1)', $html );
		foreach ( array( 'Edit', 'Run now', 'Pause', 'Delete', 'Add feed', 'Due now' ) as $label ) {
			$this->assertStringContainsString( ">$label<", $html );
		}
		$this->assertStringContainsString( 'action=' . Feeds_Page\RUN_ACTION . '&#038;feed=' . $feed->id . '&#038;_wpnonce=', $html );
		$this->assertMatchesRegularExpression( '/<td[^>]*column-posts_made[^>]*>1</', $html );
	}

	public function test_an_empty_feeds_list_invites_the_site_owner_to_add_one(): void {
		$html = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$this->assertStringContainsString( 'No feeds yet. Add one and its first posts arrive within minutes.', $html );
	}

	public function test_a_form_with_mistakes_comes_back_with_what_was_typed_and_a_message_at_each_field(): void {
		$posted = array(
			'feed_id'     => '0',
			'url'         => 'feeds.example.org/rss',
			'post_status' => 'publish',
			'author'      => (string) get_current_user_id(),
			'category'    => (string) get_option( 'default_category' ),
			'max_posts'   => '500',
			'interval'    => 'daily',
		);

		$redirect = Feeds_Page\save_from_form( $posted );
		$notices  = Notices\take();
		$_GET     = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'add',
		);
		$html     = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$this->assertStringContainsString( 'action=add', $redirect );
		$this->assertSame( 'error', $notices[0]['type'] );
		$this->assertSame( 0, Feeds\count_all() );
		$this->assertStringContainsString( 'value="feeds.example.org/rss"', $html );
		$this->assertStringContainsString( 'value="500"', $html );
		$this->assertMatchesRegularExpression( '/<option value="daily"[^>]*selected/', $html );
		$this->assertMatchesRegularExpression( '/<option value="publish"[^>]*selected/', $html );
		$this->assertStringContainsString( '<p class="atai-field-error" id="atai-url-error">Feed URL: enter the feed&#039;s address, starting with http:// or https://', $html );
		$this->assertStringContainsString( '<p class="atai-field-error" id="atai-max_posts-error">Maximum posts per run: enter a whole number from 1 to 100.</p>', $html );
	}

	public function test_a_correct_form_adds_the_feed_and_says_so(): void {
		// A new address is checked by the real worker before it is saved.
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		$url      = self::origin( '/gen/admin-form.xml?items=2' );
		$redirect = Feeds_Page\save_from_form(
			array(
				'feed_id'     => '0',
				'url'         => $url,
				'post_status' => 'draft',
				'author'      => (string) get_current_user_id(),
				'category'    => (string) get_option( 'default_category' ),
				'max_posts'   => '5',
				'interval'    => '30min',
			)
		);

		$this->assertStringNotContainsString( 'action=', $redirect );
		$this->assertSame( 'success', Notices\take()[0]['type'] );
		$feed = Feeds\all()[0];
		$this->assertSame( $url, $feed->url );
		$this->assertSame( 5, $feed->max_posts );
		$this->assertSame( '30min', $feed->interval );
		$this->assertFalse( $feed->options['embeds'] );
	}

	public function test_the_embeds_box_on_the_edit_form_turns_embeds_on_and_off(): void {
		$feed = self::create_feed();
		$form = array(
			'feed_id'     => (string) $feed->id,
			'url'         => $feed->url,
			'post_status' => 'draft',
			'author'      => (string) $feed->author,
			'category'    => (string) $feed->category,
			'max_posts'   => '5',
			'interval'    => 'hourly',
		);
		$_GET = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'edit',
			'feed'   => (string) $feed->id,
		);

		$unticked = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );
		Feeds_Page\save_from_form( $form + array( 'embeds' => '1' ) ); // The box ticked: its "1" comes after the hidden "0".
		$on     = Feeds\get( $feed->id )->options['embeds'];
		$ticked = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );
		Feeds_Page\save_from_form( $form + array( 'embeds' => '0' ) ); // Not ticked: only the hidden field is posted.

		$this->assertStringContainsString( '<input type="hidden" name="embeds" value="0" /><label><input type="checkbox" name="embeds" id="atai-embeds" value="1" />', $unticked );
		$this->assertStringContainsString( 'Off (recommended): links stay links.', $unticked );
		$this->assertTrue( $on );
		$this->assertStringContainsString( 'id="atai-embeds" value="1" checked=\'checked\' />', $ticked );
		$this->assertFalse( Feeds\get( $feed->id )->options['embeds'] );
	}

	public function test_the_edit_screen_shows_the_feeds_fields_and_recent_items_with_their_errors(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'on-edit-screen' );
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::item_error( $feed->id, 'broken', array( 'retryable' => false ) ) ) );
		$_GET = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'edit',
			'feed'   => (string) $feed->id,
		);

		$html = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$this->assertStringContainsString( 'Edit feed', $html );
		$this->assertStringContainsString( 'value="' . esc_attr( $feed->url ) . '"', $html );
		$this->assertStringContainsString( 'Recent items', $html );
		$this->assertStringContainsString( 'The old port gets its cranes back', $html );
		$this->assertStringContainsString( 'Given up after 1 attempt', $html );
		$this->assertStringContainsString( 'extract: got 503 from', $html );
	}

	public function test_an_item_waiting_for_a_retry_says_when_and_why_on_the_feed_screen(): void {
		$feed  = self::create_feed();
		$error = Contract_Fixtures::passing_error( $feed->id, 'later', 5 * MINUTE_IN_SECONDS );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $error ) );
		$_GET = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'edit',
			'feed'   => (string) $feed->id,
		);

		$html = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$at = \ATAI\Clock\timestamp( Ledger\get( $error['key'] )['retry_at'] );
		$this->assertStringContainsString( esc_html( 'Waiting to retry at ' . wp_date( get_option( 'time_format' ), $at ) . ' (rate limited by the model)' ), $html );
		$this->assertStringNotContainsString( 'tried again next run', $html );
	}

	public function test_item_titles_and_errors_from_the_worker_are_shown_as_text_on_the_feed_screen(): void {
		$feed = self::create_feed();
		Ledger\record_failures(
			$feed->id,
			Contract_Fixtures::run_id(),
			array(
				Contract_Fixtures::item_error(
					$feed->id,
					'scripted',
					array(
						'title'   => '<script>alert("title")</script>Ferry <img src=x onerror=alert(1)>',
						'message' => 'extract: got 500 from <script>alert("error")</script>',
						'link'    => 'https://news.example.org/a"><script>alert("link")</script>',
					)
				),
			)
		);
		$_GET = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'edit',
			'feed'   => (string) $feed->id,
		);

		$html = self::render( 'ATAI\\Admin\\Feeds_Page\\render', 'toplevel_page_atai-feeds' );

		$this->assertStringNotContainsString( '<script>alert', $html );
		$this->assertStringNotContainsString( '<img src=x', $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;Ferry &lt;img src=x onerror=alert(1)&gt;', $html );
		$this->assertStringContainsString( 'extract: got 500 from &lt;script&gt;alert(&quot;error&quot;)&lt;/script&gt;', $html );
	}

	public function test_the_settings_page_never_prints_a_saved_secret(): void {
		update_option( Settings\WORKER_SECRET, 'the-worker-secret-never-printed-wxyz' );
		Settings_Page\register_fields();

		$html = self::render( 'ATAI\\Admin\\Settings_Page\\render', 'automationtools-ai_page_atai-settings' );

		$this->assertStringNotContainsString( 'the-worker-secret-never-printed', $html );
		$this->assertStringContainsString( 'placeholder="Saved (…wxyz); leave empty to keep it"', $html );
		$this->assertStringContainsString( 'name="' . Settings\CLEAR_FIELD . '[]" value="' . Settings\WORKER_SECRET . '"', $html );
		$this->assertStringContainsString( 'id="atai-test-connection"', $html );
		$this->assertStringContainsString( 'name="' . Settings\WORKER_URL . '" value="http://127.0.0.1:8090"', $html );
		$this->assertStringContainsString( 'action="options.php"', $html );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_the_settings_page_shows_a_wp_config_constant_as_set_there(): void {
		define( 'ATAI_WORKER_SECRET', 'constant-secret-never-printed-1234' );
		Settings_Page\register_fields();

		$html = self::render( 'ATAI\\Admin\\Settings_Page\\render', 'automationtools-ai_page_atai-settings' );

		$this->assertStringNotContainsString( 'constant-secret-never-printed', $html );
		$this->assertStringContainsString( 'Set in wp-config.php (<code>ATAI_WORKER_SECRET</code>); change it there.', $html );
		$this->assertMatchesRegularExpression( '/<input type="url" id="' . Settings\WORKER_URL . '" name="' . Settings\WORKER_URL . '" value="[^"]*" class="regular-text code"\s+disabled=\'disabled\' \/>/', $html );
		$this->assertStringContainsString( 'The shared secret is set in wp-config.php (<code>ATAI_WORKER_SECRET</code>), so this address can only be changed there too: define <code>ATAI_WORKER_URL</code>. An address typed here would receive that secret.', $html );
	}

	public function test_a_row_action_without_a_valid_nonce_is_refused(): void {
		$feed    = self::create_feed();
		$handler = array( self::class, 'throwing_die_handler' );
		add_filter( 'wp_die_handler', $handler );
		$_GET                 = array( 'feed' => (string) $feed->id );
		$_REQUEST['_wpnonce'] = 'forged';

		try {
			Feeds_Page\handle_delete();
			$this->fail( 'The handler went on without a valid nonce.' );
		} catch ( \RuntimeException $refused ) {
			$this->assertNotNull( Feeds\get( $feed->id ) );
		} finally {
			unset( $_REQUEST['_wpnonce'] );
			remove_filter( 'wp_die_handler', $handler );
		}
	}

	public function test_notices_appear_once_and_only_on_the_plugins_screens(): void {
		Notices\add( 'error', 'Could not reach the worker <at> http://127.0.0.1:1' );

		$elsewhere = self::render( 'ATAI\\Admin\\Notices\\render', 'dashboard' );
		$ours      = self::render( 'ATAI\\Admin\\Notices\\render', 'toplevel_page_atai-feeds' );
		$again     = self::render( 'ATAI\\Admin\\Notices\\render', 'toplevel_page_atai-feeds' );

		$this->assertSame( '', $elsewhere );
		$this->assertSame( '<div class="notice notice-error is-dismissible"><p>Could not reach the worker &lt;at&gt; http://127.0.0.1:1</p></div>', $ours );
		$this->assertSame( '', $again );
	}
}
