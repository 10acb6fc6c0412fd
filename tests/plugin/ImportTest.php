<?php
/**
 * Draft -> post: one post per key, a link to the source, clean HTML, meta only for editors.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Feed;
use ATAI\Ledger;
use ATAI\Posts;
use ATAI\Runs;

/**
 * Imports through Runs\import_drafts(), the code the tick and the callback run.
 */
final class ImportTest extends RestTestCase {

	/**
	 * Import drafts as one run of a feed; returns what import_drafts() reports.
	 *
	 * @param Feed                             $feed   The feed.
	 * @param array<int, array<string, mixed>> $drafts Drafts.
	 * @return array<string, mixed>
	 */
	private static function import( Feed $feed, array $drafts, ?string $run_id = null ): array {
		return Runs\import_drafts( $feed, $run_id ?? Contract_Fixtures::run_id(), $drafts );
	}

	/**
	 * Posts carrying an item key.
	 *
	 * @return int[]
	 */
	private static function posts_with_key( string $key ): array {
		global $wpdb;
		return array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s AND meta_value = %s", Posts\META_ITEM_KEY, $key ) ) );
	}

	public function test_the_fixture_draft_matches_the_contract(): void {
		$this->assertTrue( \ATAI\Contract\validate( 'Draft', Contract_Fixtures::draft( 1, 'guid-1' ) ) );
	}

	public function test_a_contract_valid_draft_becomes_one_post_that_links_to_its_source(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'guid-1' );

		$result = self::import( $feed, array( $draft ) );

		$this->assertSame( array( $draft['key'] ), array_keys( $result['posted'] ) );
		$post = get_post( $result['posted'][ $draft['key'] ] );
		$this->assertSame( 'The old port gets its cranes back', $post->post_title );
		$this->assertSame( 'After ten years the harbour cranes are back.', $post->post_excerpt );
		$this->assertStringStartsWith( '<p>After ten years the <strong>harbour cranes</strong> are back.</p><ul><li>Three cranes</li>', $post->post_content );
		$this->assertStringEndsWith(
			'<p class="atai-source">Source: <a href="https://news.example.org/articles/guid-1">Harbour cranes return to the old port</a></p>',
			$post->post_content
		);
		$this->assertSame( array( $post->ID ), self::posts_with_key( $draft['key'] ) );
		$this->assertSame( 'https://news.example.org/articles/guid-1', get_post_meta( $post->ID, Posts\META_SOURCE_URL, true ) );
		$this->assertSame( 'guid-1', get_post_meta( $post->ID, Posts\META_SOURCE_GUID, true ) );
		$this->assertSame( (string) $feed->id, get_post_meta( $post->ID, Posts\META_FEED_ID, true ) );
		$this->assertSame( '1', get_post_meta( $post->ID, Posts\META_REWRITTEN, true ) );
		$this->assertSame( 'gpt-4o-mini', get_post_meta( $post->ID, Posts\META_MODEL, true ) );

		$item = Ledger\get( $draft['key'] );
		$this->assertSame( 'posted', $item['state'] );
		$this->assertSame( $post->ID, $item['post_id'] );
	}

	public function test_the_post_takes_status_author_and_category_from_the_feed_and_tags_from_the_draft(): void {
		$author   = self::create_user( 'author' );
		$category = wp_insert_term( 'Harbour', 'category' )['term_id'];
		$feed     = self::create_feed(
			array(
				'post_status' => 'pending',
				'author'      => $author,
				'category'    => $category,
			)
		);
		$draft = Contract_Fixtures::draft( $feed->id, 'guid-2', array( 'tags' => array( 'cranes', 'port, city' ) ) );

		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		$post = get_post( $post_id );
		$this->assertSame( 'pending', $post->post_status );
		$this->assertSame( $author, (int) $post->post_author );
		$this->assertSame( array( $category ), wp_get_post_categories( $post_id ) );
		$this->assertEqualsCanonicalizing( array( 'cranes', 'port city' ), wp_get_post_tags( $post_id, array( 'fields' => 'names' ) ) );
	}

	public function test_a_held_draft_is_never_published_and_waits_as_pending_whatever_the_feed_says(): void {
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$held  = Contract_Fixtures::draft(
			$feed->id,
			'held-1',
			array(
				'hold'     => true,
				'findings' => array(
					array(
						'code'        => 'number_not_in_source',
						'message'     => 'checks: the draft says 5.6 billion; the source says 6.5 billion',
						'hold'        => true,
						'draft_text'  => '5.6 billion',
						'source_text' => '6.5 billion',
					),
				),
			)
		);
		$clear = Contract_Fixtures::draft( $feed->id, 'clear-1' );

		$posted = self::import( $feed, array( $held, $clear ) )['posted'];

		$this->assertSame( 'pending', get_post( $posted[ $held['key'] ] )->post_status );
		$this->assertSame( 'publish', get_post( $posted[ $clear['key'] ] )->post_status );
		$this->assertSame( 'held', Ledger\get( $held['key'] )['state'] );
		$this->assertSame( 'posted', Ledger\get( $clear['key'] )['state'] );
	}

	public function test_a_draft_that_does_not_say_whether_it_is_held_is_refused_and_never_posted(): void {
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft = Contract_Fixtures::draft( $feed->id, 'unsure-1' );
		unset( $draft['hold'] );

		$result = self::import( $feed, array( $draft ) );

		$this->assertSame( array( $draft['key'] ), $result['failed'] );
		$this->assertSame( 'draft_invalid', Ledger\get( $draft['key'] )['error_code'] );
		$this->assertSame( array(), self::posts_with_key( $draft['key'] ) );
	}

	public function test_tags_are_created_once_and_their_counts_are_updated_when_the_batch_ends(): void {
		$feed   = self::create_feed( array( 'post_status' => 'publish' ) );
		$drafts = array(
			Contract_Fixtures::draft( $feed->id, 'tags-1', array( 'tags' => array( 'Lighthouse keepers' ) ) ),
			Contract_Fixtures::draft( $feed->id, 'tags-2', array( 'tags' => array( 'Lighthouse keepers', 'Fog' ) ) ),
		);

		$posted = self::import( $feed, $drafts )['posted'];

		$keepers = get_term_by( 'name', 'Lighthouse keepers', 'post_tag' );
		$this->assertSame( 2, $keepers->count );
		$this->assertSame( 1, get_term_by( 'name', 'Fog', 'post_tag' )->count );
		$this->assertEqualsCanonicalizing( array( 'Lighthouse keepers', 'Fog' ), wp_get_post_tags( $posted[ $drafts[1]['key'] ], array( 'fields' => 'names' ) ) );
		$this->assertSame( array( 'Lighthouse keepers' ), wp_get_post_tags( $posted[ $drafts[0]['key'] ], array( 'fields' => 'names' ) ) );
	}

	public function test_a_past_published_date_becomes_the_post_date_and_a_future_one_is_replaced_by_now(): void {
		$feed   = self::create_feed( array( 'post_status' => 'publish' ) );
		$past   = Contract_Fixtures::draft( $feed->id, 'past', array( 'published' => '2024-03-05T09:30:00Z' ) );
		$future = Contract_Fixtures::draft( $feed->id, 'future', array( 'published' => gmdate( 'Y-m-d\TH:i:s\Z', time() + WEEK_IN_SECONDS ) ) );

		$posted = self::import( $feed, array( $past, $future ) )['posted'];

		$this->assertSame( '2024-03-05 09:30:00', get_post( $posted[ $past['key'] ] )->post_date_gmt );
		$future_post = get_post( $posted[ $future['key'] ] );
		$this->assertSame( 'publish', $future_post->post_status );
		$this->assertLessThanOrEqual( time(), strtotime( $future_post->post_date_gmt . ' UTC' ) );
	}

	public function test_source_meta_is_shown_in_the_edit_context_to_a_user_who_can_edit_the_post(): void {
		$author = self::create_user( 'author' );
		$feed   = self::create_feed(
			array(
				'post_status' => 'publish',
				'author'      => $author,
			)
		);
		$draft   = Contract_Fixtures::draft( $feed->id, 'guid-meta' );
		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		wp_set_current_user( $author );
		$response = self::request( 'GET', '/wp/v2/posts/' . $post_id, array( 'context' => 'edit' ) );

		$this->assertSame( 200, $response->get_status() );
		$meta = $response->get_data()['meta'];
		$this->assertSame( 'https://news.example.org/articles/guid-meta', $meta[ Posts\META_SOURCE_URL ] );
		$this->assertSame( 'guid-meta', $meta[ Posts\META_SOURCE_GUID ] );
		$this->assertSame( $draft['key'], $meta[ Posts\META_ITEM_KEY ] );
		$this->assertSame( $feed->id, $meta[ Posts\META_FEED_ID ] );
		$this->assertTrue( $meta[ Posts\META_REWRITTEN ] );
	}

	public function test_source_meta_is_absent_for_anonymous_requests(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft   = Contract_Fixtures::draft( $feed->id, 'tag:news.example.org,2024:anon', array( 'source_url' => 'https://news.example.org/a' ) );
		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		$view = self::request( 'GET', '/wp/v2/posts/' . $post_id );
		$edit = self::request( 'GET', '/wp/v2/posts/' . $post_id, array( 'context' => 'edit' ) );

		$this->assertSame( 200, $view->get_status() );
		foreach ( array_keys( Posts\meta_types() ) as $key ) {
			$this->assertArrayNotHasKey( $key, (array) $view->get_data()['meta'] );
		}
		$this->assertStringNotContainsString( 'tag:news.example.org,2024:anon', self::body_json( $view ) );
		$this->assertSame( 401, $edit->get_status() );
	}

	public function test_a_user_who_cannot_edit_the_post_cannot_read_its_source_meta(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft   = Contract_Fixtures::draft( $feed->id, 'tag:news.example.org,2024:other', array( 'source_url' => 'https://news.example.org/b' ) );
		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		self::act_as( 'author' );
		$edit = self::request( 'GET', '/wp/v2/posts/' . $post_id, array( 'context' => 'edit' ) );
		$view = self::request( 'GET', '/wp/v2/posts/' . $post_id );

		$this->assertSame( 403, $edit->get_status() );
		$this->assertStringNotContainsString( 'tag:news.example.org,2024:other', self::body_json( $view ) );
	}

	public function test_importing_the_same_draft_twice_makes_one_post(): void {
		$feed   = self::create_feed();
		$draft  = Contract_Fixtures::draft( $feed->id, 'guid-twice' );
		$run_id = Contract_Fixtures::run_id();

		$first  = self::import( $feed, array( $draft ), $run_id );
		$second = self::import( $feed, array( $draft ), $run_id );

		$this->assertCount( 1, $first['posted'] );
		$this->assertSame( array(), $second['posted'] );
		$this->assertSame( array( $draft['key'] ), $second['skipped'] );
		$this->assertSame( array( $first['posted'][ $draft['key'] ] ), self::posts_with_key( $draft['key'] ) );
	}

	public function test_the_same_draft_handed_back_by_two_runs_makes_one_post(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'guid-two-runs' );

		$first  = self::import( $feed, array( $draft ) );
		$second = self::import( $feed, array( $draft, $draft ) );

		$this->assertCount( 1, $first['posted'] );
		$this->assertSame( array( $draft['key'], $draft['key'] ), $second['skipped'] );
		$this->assertCount( 1, self::posts_with_key( $draft['key'] ) );
	}

	/**
	 * A Draft full of things a hostile feed or model could send.
	 *
	 * @return array<string, mixed>
	 */
	private static function hostile_draft( int $feed_id ): array {
		return Contract_Fixtures::draft(
			$feed_id,
			'guid-hostile',
			array(
				'source_title' => '<img src=x onerror=alert(7)>Original <b>title</b>',
				'title'        => '<script>alert("t")</script>Cranes <img src=x onerror=alert(1)> are back & <i>fine</i>',
				'content'      => '<p onclick="steal()">Text with <a href="javascript:alert(1)">a bad link</a> and <a href=" JaVaScRiPt:alert(4)">another</a>.</p>'
					. '<script>alert(2)</script><img src="https://img.example.org/a.jpg" onerror="alert(3)" alt="a crane">'
					. '<iframe src="https://evil.example.org/"></iframe><svg onload="alert(5)"><circle r="1"/></svg>'
					. '<a href="data:text/html,<script>alert(8)</script>">data</a><p style="x:expression(alert(9))">Tom &amp; Jerry</p>',
				'excerpt'      => '<b>Bold</b> excerpt <script>alert(6)</script>',
				'tags'         => array( '<script>alert(10)</script>cranes' ),
			)
		);
	}

	/**
	 * Assert HTML carries nothing a browser would run: no script or frame elements, no event
	 * handler attributes, no script-bearing URLs or styles. (Escaped text that merely mentions them is fine.)
	 */
	private function assertHarmless( string $html ): void {
		$this->assertDoesNotMatchRegularExpression( '/<\s*(script|iframe|svg|object|embed)\b/i', $html );
		$this->assertDoesNotMatchRegularExpression( '/<[^>]*\son\w+\s*=/i', $html );
		$this->assertDoesNotMatchRegularExpression( '/<[^>]*\b(href|src)\s*=\s*["\']?\s*(javascript|data|vbscript):/i', $html );
		$this->assertDoesNotMatchRegularExpression( '/<[^>]*\sstyle\s*=[^>]*expression\(/i', $html );
	}

	public function test_a_hostile_draft_becomes_a_clean_post_even_when_an_administrator_imports_it(): void {
		self::act_as( 'administrator' );
		$this->assertTrue( current_user_can( 'unfiltered_html' ) );
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft = self::hostile_draft( $feed->id );

		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		$post = get_post( $post_id );
		$this->assertHarmless( $post->post_content );
		$this->assertHarmless( $post->post_title );
		$this->assertHarmless( $post->post_excerpt );
		$this->assertHarmless( apply_filters( 'the_content', $post->post_content ) );
		$this->assertHarmless( implode( ' ', wp_get_post_tags( $post_id, array( 'fields' => 'names' ) ) ) );
		$this->assertSame( 'Cranes are back & fine', $post->post_title );
		$this->assertSame( 'Bold excerpt', $post->post_excerpt );
		$this->assertStringContainsString( '<img src="https://img.example.org/a.jpg" alt="a crane">', $post->post_content );
		$this->assertStringContainsString( '<p>Tom &amp; Jerry</p>', $post->post_content );
		$this->assertStringContainsString( '>Original title</a></p>', $post->post_content );
	}

	public function test_a_draft_is_sanitized_exactly_once_whether_or_not_the_user_has_unfiltered_html(): void {
		$feed    = self::create_feed();
		$content = self::hostile_draft( $feed->id )['content'];

		self::act_as( 'administrator' );
		$admin = self::import( $feed, array( Contract_Fixtures::draft( $feed->id, 'once-admin', array( 'content' => $content ) ) ) );
		self::act_as( 'author' );
		$this->assertFalse( current_user_can( 'unfiltered_html' ) );
		$author = self::import( $feed, array( Contract_Fixtures::draft( $feed->id, 'once-author', array( 'content' => $content ) ) ) );

		$admin_content  = get_post( current( $admin['posted'] ) )->post_content;
		$author_content = get_post( current( $author['posted'] ) )->post_content;
		$this->assertSame( str_replace( 'once-admin', 'once-author', $admin_content ), $author_content );
		$this->assertStringContainsString( '<p>Tom &amp; Jerry</p>', $author_content );
		$this->assertNotFalse( has_filter( 'content_save_pre', 'wp_filter_post_kses' ), 'The import puts core\'s kses filters back.' );
	}

	public function test_one_bad_draft_does_not_stop_the_others(): void {
		$feed  = self::create_feed();
		$good1 = Contract_Fixtures::draft( $feed->id, 'good-1' );
		$bad   = Contract_Fixtures::draft( $feed->id, 'bad', array( 'title' => '' ) );
		$good2 = Contract_Fixtures::draft( $feed->id, 'good-2' );

		$result = self::import( $feed, array( $good1, $bad, $good2 ) );

		$this->assertSame( array( $good1['key'], $good2['key'] ), array_keys( $result['posted'] ) );
		$this->assertSame( array( $bad['key'] ), $result['failed'] );
		$item = Ledger\get( $bad['key'] );
		$this->assertSame( 'failed', $item['state'] );
		$this->assertSame( 1, $item['attempts'] );
		$this->assertFalse( $item['failed_for_good'] );
		$this->assertSame( 'draft_invalid', $item['error_code'] );
		$this->assertStringContainsString( 'Draft[title]', $item['error_message'] );
		$this->assertSame( array(), self::posts_with_key( $bad['key'] ) );
	}

	public function test_a_key_another_importer_holds_is_never_reported_as_posted(): void {
		global $wpdb;
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'held-elsewhere' );
		// A second connection claims the same key and keeps its transaction open (as a slow importer would).
		$other = new \mysqli( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
		$other->query( 'START TRANSACTION' );
		$other->query(
			sprintf(
				"INSERT INTO %s (item_key, feed_id, state, created_at, updated_at) VALUES ('%s', %d, 'importing', NOW(), NOW())",
				\ATAI\Schema\items_table(),
				$other->real_escape_string( $draft['key'] ),
				$feed->id
			)
		);
		$wpdb->query( 'SET SESSION innodb_lock_wait_timeout = 1' );
		$this->expect_log_entry( '/WordPress database error Lock wait timeout exceeded/' );

		try {
			$result = self::import( $feed, array( $draft ) );
		} finally {
			$wpdb->query( 'SET SESSION innodb_lock_wait_timeout = DEFAULT' );
			$other->query( 'ROLLBACK' );
			$other->close();
		}

		$this->assertSame( array(), $result['posted'] );
		$this->assertSame( array(), $result['skipped'], 'A key that may not be posted must not be acknowledged as posted.' );
		$this->assertSame( array( $draft['key'] ), $result['failed'] );
		$this->assertSame( array(), self::posts_with_key( $draft['key'] ) );
	}

	public function test_imported_posts_get_no_pings_or_enclosure_checks_and_the_hooks_come_back(): void {
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft = Contract_Fixtures::draft( $feed->id, 'no-pings', array( 'content' => '<p>See <a href="https://other.example.org/story">this</a> and <a href="https://other.example.org/a.mp3">audio</a>.</p>' ) );
		update_option( 'default_pingback_flag', 1 );
		wp_clear_scheduled_hook( 'do_pings' );

		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		$this->assertSame( '', get_post_meta( $post_id, '_encloseme', true ) );
		$this->assertSame( '', get_post_meta( $post_id, '_pingme', true ) );
		$this->assertFalse( wp_next_scheduled( 'do_pings' ) );
		$this->assertSame( 5, has_action( 'publish_post', '_publish_post_hook' ) );
		$this->assertFalse( wp_defer_term_counting() );
	}

	public function test_block_content_gets_its_source_line_as_a_paragraph_block(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'blocks', array( 'content' => "<!-- wp:paragraph -->\n<p>Block text.</p>\n<!-- /wp:paragraph -->" ) );

		$post_id = self::import( $feed, array( $draft ) )['posted'][ $draft['key'] ];

		$blocks = parse_blocks( get_post( $post_id )->post_content );
		$named  = array_values( array_filter( $blocks, static fn( $block ) => null !== $block['blockName'] ) );
		$this->assertCount( 2, $named );
		$this->assertSame( 'core/paragraph', $named[1]['blockName'] );
		$this->assertSame( 'atai-source', $named[1]['attrs']['className'] );
		$this->assertStringContainsString( 'Source: <a href="https://news.example.org/articles/blocks">', $named[1]['innerHTML'] );
	}
}
