<?php
/**
 * Adding a feed by any address, against the real worker and the fake origin: the feeds a page names,
 * the check of a new address when the form is saved (refused with the reason, "save anyway, paused"),
 * and the preview of what a feed would post.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Discovery;
use ATAI\Feeds;
use ATAI\Settings;

/**
 * Discovery, the source check and the preview, with no part of them faked.
 */
final class DiscoveryTest extends RestTestCase {

	protected function setUp(): void {
		parent::setUp();
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
	}

	/**
	 * A name no other test uses (the origin's generated sites and feeds are keyed by name).
	 */
	private static function name( string $prefix ): string {
		return $prefix . '-' . strtolower( wp_generate_password( 6, false ) );
	}

	/**
	 * The add form as posted by the site owner.
	 *
	 * @param array<string, string> $fields Fields to set.
	 * @return array<string, string>
	 */
	private static function add_form( array $fields ): array {
		return $fields + array(
			'feed_id'     => '0',
			'post_status' => 'draft',
			'author'      => (string) get_current_user_id(),
			'category'    => (string) get_option( 'default_category' ),
			'max_posts'   => '5',
			'interval'    => 'hourly',
		);
	}

	/**
	 * The add form as it shows after a refused save.
	 */
	private static function add_screen(): string {
		$_GET = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'add',
		);
		ob_start();
		Feeds_Page\render();
		return (string) ob_get_clean();
	}

	public function test_a_page_naming_several_feeds_offers_each_and_marks_one_already_added(): void {
		$site  = self::name( 'several' );
		$added = self::create_feed( array( 'url' => self::origin( "/gen/{$site}.json" ) ) );

		$found = Discovery\find( self::origin( "/site/{$site}/several.html" ) );

		$this->assertIsArray( $found, is_wp_error( $found ) ? $found->get_error_message() : '' );
		$this->assertSame(
			array(
				array( self::origin( "/gen/{$site}.xml" ), 'RSS 2.0', null ),
				array( self::origin( "/gen/{$site}-comments.xml?items=2" ), 'RSS 2.0', null ),
				array( self::origin( "/gen/{$site}.json" ), 'JSON Feed 1.1', $added->id ),
			),
			array_map( static fn( array $feed ) => array( $feed['url'], $feed['format_label'], $feed['added'] ), $found['feeds'] )
		);
	}

	public function test_an_address_that_is_a_feed_or_a_page_with_one_feed_is_taken(): void {
		$feed = self::origin( '/gen/' . self::name( 'direct' ) . '.xml' );
		$site = self::name( 'blog' );

		$this->assertSame(
			array(
				'url'       => $feed,
				'from_page' => false,
			),
			Discovery\check_source( $feed )
		);
		$this->assertSame(
			array(
				'url'       => self::origin( "/site/{$site}/blog/feed" ),
				'from_page' => true,
			),
			Discovery\check_source( self::origin( "/site/{$site}/blog/" ) )
		);
	}

	public function test_an_address_that_is_not_a_feed_or_cannot_be_read_is_refused_in_words(): void {
		$none    = Discovery\check_source( self::origin( '/site/' . self::name( 'plain' ) . '/plain.html' ) );
		$missing = Discovery\check_source( self::origin( '/status/404' ) );
		$down    = Discovery\check_source( self::origin( '/status/503' ) );

		$this->assertStringStartsWith( 'Feed URL: no feed can be read at this address (discover: the page names no feed, and none was found at the usual addresses', $none->get_error_message() );
		$this->assertStringStartsWith( 'Feed URL: no feed can be read at this address (fetch: got 404 from ', $missing->get_error_message() );
		$this->assertArrayNotHasKey( 'save_paused', $missing->get_error_data() );
		$this->assertStringStartsWith( 'Feed URL: the address cannot be read now (fetch: got 503 from ', $down->get_error_message() );
		$this->assertStringContainsString( 'you can save the feed paused', $down->get_error_message() );
		$this->assertTrue( $down->get_error_data()['save_paused'] );
	}

	public function test_when_the_worker_cannot_be_asked_the_feed_may_be_saved_paused(): void {
		update_option( Settings\WORKER_SECRET, '', false );

		$refused = Discovery\check_source( self::origin( '/gen/any.xml' ) );

		$this->assertStringStartsWith( 'Feed URL: the address could not be checked: The worker is not configured', $refused->get_error_message() );
		$this->assertTrue( $refused->get_error_data()['save_paused'] );
	}

	public function test_a_page_with_several_feeds_comes_back_to_the_form_to_choose_one_then_saves_the_chosen_one(): void {
		self::act_as( 'administrator' );
		$site  = self::name( 'choose' );
		$typed = self::origin( "/site/{$site}/several.html" );

		$redirect = Feeds_Page\save_from_form( self::add_form( array( 'url' => $typed ) ) );
		Notices\take();
		$html = self::add_screen();

		$this->assertStringContainsString( 'action=add', $redirect );
		$this->assertSame( 0, Feeds\count_all() );
		$this->assertStringContainsString( 'Feed URL: this address is a web page that names 3 feeds: choose one below.', $html );
		$this->assertStringContainsString( 'value="' . esc_attr( $typed ) . '"', $html, 'What was typed is kept.' );
		$this->assertStringContainsString( '<input type="radio" name="candidate" value="' . esc_attr( self::origin( "/gen/{$site}-comments.xml?items=2" ) ) . '"', $html );

		Feeds_Page\save_from_form(
			self::add_form(
				array(
					'url'       => $typed,
					'candidate' => self::origin( "/gen/{$site}.json" ),
				)
			)
		);

		$this->assertSame( self::origin( "/gen/{$site}.json" ), Feeds\all()[0]->url );
		$this->assertSame( 'active', Feeds\all()[0]->status );
	}

	public function test_a_site_that_is_down_is_refused_and_can_be_saved_paused(): void {
		self::act_as( 'administrator' );
		$url = self::origin( '/status/503?retry_after=60' );

		Feeds_Page\save_from_form( self::add_form( array( 'url' => $url ) ) );
		$this->assertSame( 'error', Notices\take()[0]['type'] );
		$html = self::add_screen();

		$this->assertStringContainsString( '<p class="atai-field-error" id="atai-url-error">Feed URL: the address cannot be read now (fetch: got 503 from ', $html );
		$this->assertStringContainsString( '<input type="checkbox" name="save_paused" id="atai-save-paused" value="1" /> Save anyway, paused', $html );
		$this->assertSame( 0, Feeds\count_all() );

		Feeds_Page\save_from_form(
			self::add_form(
				array(
					'url'         => $url,
					'save_paused' => '1',
				)
			)
		);

		$this->assertSame( 'Feed saved, paused: resume it once its site answers.', Notices\take()[0]['message'] );
		$this->assertSame( array( $url, 'paused' ), array( Feeds\all()[0]->url, Feeds\all()[0]->status ) );
	}

	public function test_an_unchanged_address_is_not_checked_again_when_a_feed_is_edited(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed( array( 'url' => self::origin( '/status/404' ) ) );
		$form = self::add_form(
			array(
				'feed_id'   => (string) $feed->id,
				'url'       => $feed->url,
				'max_posts' => '9',
			)
		);

		Feeds_Page\save_from_form( $form );

		$this->assertSame( 9, Feeds\get( $feed->id )->max_posts );
	}

	public function test_the_preview_shows_the_first_entries_as_they_would_be_posted_and_what_the_filters_leave_out(): void {
		$name   = self::name( 'preview' );
		$values = array( 'url' => self::origin( "/gen/{$name}.xml?items=5&image=1" ) ) + Feeds\defaults();
		$values['exclude_keywords'] = array( "{$name} #1" );
		$values['whole_words']      = false;

		$preview = Discovery\preview( $values, false );

		$this->assertIsArray( $preview, is_wp_error( $preview ) ? $preview->get_error_message() : '' );
		$this->assertSame( array( "Larkmouth Notes: {$name}", 'RSS 2.0', 5, null ), array( $preview['title'], $preview['format'], $preview['entries_total'], $preview['error'] ) );
		$this->assertCount( 3, $preview['entries'] );
		$entry = $preview['entries'][0];
		$this->assertStringEndsWith( "({$name} #2)", $entry['title'] );
		$this->assertSame( self::origin( '/gen/img/2.png' ), $entry['image']['url'] );
		$this->assertStringEndsWith( "\u{2026}", $entry['text'] );
		$this->assertSame( Discovery\PREVIEW_WORDS, count( explode( ' ', $entry['text'] ) ) );
		$this->assertSame( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), 1793613600 - 2 * 3600 ), $entry['date'] );
		// The entry's title, whatever subject the generated feed gave it.
		$this->assertStringStartsWith( '<p class="atai-source">Source: <a href="' . esc_url( self::origin( "/gen/articles/{$name}-2.html?image=1" ) ) . '">' . esc_html( $entry['title'] ) . '</a>', $entry['source_line'] );
		$this->assertFalse( $entry['rewritten'] );
		$this->assertSame( array( "filters: the title or text contains \u{201c}{$name} #1\u{201d}, which this feed excludes" ), array_column( $preview['skipped'], 'reason' ) );
	}

	public function test_the_preview_of_an_address_that_is_not_a_feed_says_why(): void {
		$preview = Discovery\preview( array( 'url' => self::origin( '/status/404' ) ) + Feeds\defaults(), false );

		$this->assertStringStartsWith( 'fetch: got 404 from ', $preview['error'] );
		$this->assertSame( array(), $preview['entries'] );
	}

	public function test_the_rewrite_preview_says_why_it_is_the_original_when_ai_is_off(): void {
		update_option( Settings\AI_ENABLED, false );

		$preview = Discovery\preview( array( 'url' => self::origin( '/gen/' . self::name( 'ai-off' ) . '.xml' ) ) + Feeds\defaults(), true );

		$this->assertSame( 'original', $preview['rewrite']['mode'] );
		$this->assertStringStartsWith( 'AI rewriting is turned off', $preview['rewrite']['reason'] );
		$this->assertCount( 1, $preview['entries'] );
	}

	public function test_the_rest_routes_find_and_preview_for_administrators_only(): void {
		$site = self::name( 'rest' );
		self::act_as( 'editor' );
		$this->assertSame( 403, self::request( 'POST', 'discover', array( 'url' => self::origin( "/site/{$site}/several.html" ) ) )->get_status() );
		$this->assertSame( 403, self::request( 'POST', 'preview', array( 'url' => self::origin( "/gen/{$site}.xml" ) ) )->get_status() );
		wp_set_current_user( 0 );
		$this->assertSame( 403, self::request( 'POST', 'discover', array( 'url' => self::origin( "/site/{$site}/several.html" ) ) )->get_status() );

		self::act_as( 'administrator' );
		$found   = self::request( 'POST', 'discover', array( 'url' => self::origin( "/site/{$site}/several.html" ) ) );
		$preview = self::request(
			'POST',
			'preview',
			array(
				'url'              => self::origin( "/gen/{$site}.xml?items=4" ),
				'include_keywords' => array( "{$site} #4" ),
				'whole_words'      => '0',
			)
		);
		$bad     = self::request( 'POST', 'discover', array( 'url' => 'example.org/feed' ) );

		$this->assertSame( 200, $found->get_status(), self::error_text( $found ) );
		$this->assertCount( 3, $found->get_data()['feeds'] );
		$this->assertSame( 200, $preview->get_status(), self::error_text( $preview ) );
		$this->assertCount( 1, $preview->get_data()['entries'] );
		$this->assertCount( 3, $preview->get_data()['skipped'] );
		$this->assertSame( 400, $bad->get_status() );
		$this->assertStringStartsWith( 'Feed URL: enter the feed', $bad->get_data()['data']['params']['url'] );
	}
}
