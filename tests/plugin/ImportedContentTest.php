<?php
/**
 * What a feed or a model wrote is shown, never run: shortcodes stay text, lone URLs stay links that the
 * site never requests (unless the feed allows embeds), and a guid with a script URL is not kept.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Feed;
use ATAI\Posts;
use ATAI\Runs;

/**
 * Posts imported through Runs\import_drafts() and shown through the_content, with the fake origin
 * standing in for the hosts a feed names (its request log tells whether WordPress asked them anything).
 */
final class ImportedContentTest extends TestCase {

	/** A shortcode registered for these tests: its output shows when a shortcode ran. */
	const PROBE = 'atai_test_probe';

	protected function setUp(): void {
		parent::setUp();
		add_shortcode( self::PROBE, array( self::class, 'probe_output' ) );
		// The fake origin listens on a port WordPress's "safe" requests refuse; a feed's host would not.
		add_filter( 'http_allowed_safe_ports', array( self::class, 'allow_origin_port' ) );
	}

	protected function tearDown(): void {
		remove_shortcode( self::PROBE );
		remove_filter( 'http_allowed_safe_ports', array( self::class, 'allow_origin_port' ) );
		$GLOBALS['post'] = null;
		parent::tearDown();
	}

	/**
	 * What the probe shortcode prints.
	 */
	public static function probe_output(): string {
		return '<b class="probe">the probe shortcode ran</b>';
	}

	/**
	 * http_allowed_safe_ports: add the fake origin's port.
	 *
	 * @param int[] $ports Allowed ports.
	 * @return int[]
	 */
	public static function allow_origin_port( $ports ): array {
		$ports[] = (int) wp_parse_url( self::origin( '/' ), PHP_URL_PORT );
		return $ports;
	}

	/**
	 * Import one draft of a feed; returns the new post's ID.
	 *
	 * @param Feed                 $feed   The feed.
	 * @param array<string, mixed> $fields Draft fields to override.
	 */
	private static function import( Feed $feed, array $fields ): int {
		$draft = Contract_Fixtures::draft( $feed->id, 'item-' . wp_generate_password( 8, false ), $fields );
		return Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];
	}

	/**
	 * The post's content as a visitor's page shows it (the_content: blocks, embeds, wpautop, shortcodes).
	 */
	private static function shown( int $post_id ): string {
		$GLOBALS['post'] = get_post( $post_id );
		setup_postdata( $GLOBALS['post'] );
		return (string) apply_filters( 'the_content', get_the_content() );
	}

	/**
	 * The text a reader sees in HTML (entities decoded, invisible word joiners left out).
	 */
	private static function visible_text( string $html ): string {
		return str_replace( "\u{2060}", '', html_entity_decode( wp_strip_all_tags( $html ), ENT_QUOTES | ENT_HTML5, 'UTF-8' ) );
	}

	/**
	 * A URL on the fake origin that no other request used.
	 */
	private static function fresh_origin_url(): string {
		return self::origin( '/status/200?atai_probe=' . wp_generate_password( 12, false ) );
	}

	/**
	 * Whether the fake origin received a request for this URL.
	 */
	private static function requested( string $url ): bool {
		$path = substr( $url, strlen( self::origin( '' ) ) );
		return in_array( $path, array_column( self::origin_log(), 'path' ), true );
	}

	public function test_shortcodes_a_feed_wrote_show_as_text_in_the_title_content_and_excerpt_and_never_run(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$embed   = self::fresh_origin_url();
		$post_id = self::import(
			$feed,
			array(
				'title'   => 'Cranes [' . self::PROBE . '] return',
				'content' => '<p>[' . self::PROBE . ']</p><p>[gallery]</p><p>[contact-form-7 id=1 title=Contact]</p><p>[embed]' . $embed . '[/embed]</p>',
				'excerpt' => 'Short [' . self::PROBE . '] excerpt',
				'tags'    => array( 'cranes [' . self::PROBE . ']' ),
			)
		);

		$post    = get_post( $post_id );
		$content = self::shown( $post_id );
		$title   = get_the_title( $post_id );
		$excerpt = (string) apply_filters( 'the_excerpt', get_the_excerpt( $post_id ) );

		foreach ( array( $content, $title, $excerpt, do_shortcode( $title ), do_shortcode( $excerpt ) ) as $shown ) {
			$this->assertStringNotContainsString( 'the probe shortcode ran', $shown );
		}
		$this->assertStringNotContainsString( '[', $post->post_content . $post->post_title . $post->post_excerpt );
		$text = self::visible_text( $content );
		$this->assertStringContainsString( '[' . self::PROBE . ']', $text );
		$this->assertStringContainsString( '[gallery]', $text );
		$this->assertStringContainsString( '[contact-form-7 id=1 title=Contact]', $text );
		$this->assertStringContainsString( '[embed]' . $embed . '[/embed]', $text );
		$this->assertStringNotContainsString( 'gallery-', $content );
		$this->assertSame( 'Cranes [' . self::PROBE . '] return', html_entity_decode( $title, ENT_QUOTES | ENT_HTML5 ) );
		$this->assertFalse( self::requested( $embed ), 'The [embed] shortcode of an imported post made the site fetch its URL.' );
	}

	public function test_shortcodes_stay_inert_after_an_editor_writes_the_brackets_back_out(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$post_id = self::import(
			$feed,
			array(
				'content'      => '<p>[' . self::PROBE . '] and [gallery]</p><p><a href="https://news.example.org/?q[]=1">a link</a></p>',
				'source_title' => 'The source [' . self::PROBE . ']',
			)
		);
		// The visual editor and the block editor read the stored HTML and write its text back out without entities.
		$edited = html_entity_decode( get_post( $post_id )->post_content, ENT_QUOTES | ENT_HTML5, 'UTF-8' );
		wp_update_post(
			array(
				'ID'           => $post_id,
				'post_content' => $edited,
			)
		);

		$content = self::shown( $post_id );

		$this->assertStringContainsString( '[', get_post( $post_id )->post_content );
		$this->assertStringNotContainsString( 'the probe shortcode ran', $content );
		$this->assertStringContainsString( '[' . self::PROBE . '] and [gallery]', self::visible_text( $content ) );
		$this->assertStringContainsString( 'Source: The source [' . self::PROBE . ']', self::visible_text( $content ) );
		$this->assertStringContainsString( 'href="https://news.example.org/?q[]=1"', $edited, 'A URL keeps its brackets.' );
	}

	public function test_the_site_owners_own_posts_still_run_their_shortcodes_and_embeds(): void {
		$embed   = self::fresh_origin_url();
		$post_id = wp_insert_post(
			array(
				'post_title'   => 'Written here',
				'post_content' => '<p>[' . self::PROBE . ']</p>' . "\n\n" . $embed . "\n",
				'post_status'  => 'publish',
			)
		);

		$content = self::shown( $post_id );

		$this->assertStringContainsString( 'the probe shortcode ran', $content );
		$this->assertTrue( self::requested( $embed ), 'WordPress did not try to embed the owner\'s URL, so this test cannot tell an embed from none.' );
	}

	public function test_a_url_alone_in_an_imported_post_stays_a_link_and_the_site_requests_nothing(): void {
		$feed      = self::create_feed( array( 'post_status' => 'publish' ) );
		$paragraph = self::fresh_origin_url();
		$line      = self::fresh_origin_url();
		$post_id   = self::import( $feed, array( 'content' => '<p>' . $paragraph . '</p>' . "\n" . $line . "\n<p>The harbour cranes are back.</p>" ) );

		$content = self::shown( $post_id );

		$this->assertFalse( self::requested( $paragraph ), 'The site fetched a URL a feed put in its own paragraph.' );
		$this->assertFalse( self::requested( $line ), 'The site fetched a URL a feed put on its own line.' );
		$this->assertStringContainsString( '<a href="' . esc_url( $paragraph ) . '">', $content );
		$this->assertStringContainsString( '<a href="' . esc_url( $line ) . '">', $content );
	}

	public function test_an_embed_preview_of_an_imported_post_requests_nothing(): void {
		global $wp_embed;
		$feed            = self::create_feed();
		$url             = self::fresh_origin_url();
		$GLOBALS['post'] = get_post( self::import( $feed, array() ) );

		// What the editor's preview of a URL in the post does (wp_ajax_parse_embed()).
		$wp_embed->run_shortcode( '[embed]' . $url . '[/embed]' );
		$direct = wp_oembed_get( $url );

		$this->assertFalse( $direct );
		$this->assertFalse( self::requested( $url ), 'An embed preview of an imported post made the site fetch a URL the feed chose.' );
	}

	public function test_a_feed_that_allows_embeds_gets_them_in_its_posts(): void {
		$feed    = self::create_feed(
			array(
				'post_status' => 'publish',
				'embeds'      => true,
			)
		);
		$url     = self::fresh_origin_url();
		$post_id = self::import( $feed, array( 'content' => '<p>' . $url . '</p>' ) );

		self::shown( $post_id );

		$this->assertTrue( $feed->options['embeds'] );
		$this->assertTrue( self::requested( $url ) );
	}

	public function test_brackets_inside_block_delimiters_keep_the_blocks_attributes(): void {
		$feed    = self::create_feed();
		$post_id = self::import( $feed, array( 'content' => "<!-- wp:paragraph {\"className\":\"lead\",\"metadata\":{\"ids\":[1,2]}} -->\n<p>[gallery]</p>\n<!-- /wp:paragraph -->" ) );

		$blocks = parse_blocks( get_post( $post_id )->post_content );

		$this->assertSame( array( 1, 2 ), $blocks[0]['attrs']['metadata']['ids'] );
		$this->assertStringContainsString( '<p>&#91;&#8288;gallery&#93;</p>', $blocks[0]['innerHTML'] );
	}

	public function test_a_guid_naming_a_script_url_is_not_stored_while_plain_tag_urn_and_web_guids_are(): void {
		$feed = self::create_feed();
		$kept = array( 'guid-17', 'tag:news.example.org,2024:17', 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'https://news.example.org/?p=17' );
		$gone = array( 'javascript:alert(1)', ' JaVaScRiPt:alert(2)', "java\tscript:alert(3)", '&#106;avascript:alert(4)', 'data:text/html,<script>alert(5)</script>', 'vbscript:msgbox(6)' );

		foreach ( array_merge( $kept, $gone ) as $guid ) {
			$draft   = Contract_Fixtures::draft( $feed->id, $guid );
			$post_id = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];
			$stored  = get_post_meta( $post_id, Posts\META_SOURCE_GUID, true );

			$this->assertSame( in_array( $guid, $kept, true ) ? $guid : '', $stored, $guid );
			$this->assertSame( $draft['key'], get_post_meta( $post_id, Posts\META_ITEM_KEY, true ), 'The post keeps its item key.' );
		}
	}
}
