<?php
/**
 * Posts you can trace (the Source column, the filter by feed, the feed in the editor's box) and the dashboard widget.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Dashboard_Widget;
use ATAI\Admin\Post_Source;
use ATAI\Costs;
use ATAI\Provenance;
use ATAI\Runs;

/**
 * Imports drafts as the worker would hand them over, then renders what an administrator sees.
 */
final class TraceAndDashboardTest extends TestCase {

	/**
	 * What a callable prints.
	 */
	private static function output( callable $print ): string {
		ob_start();
		$print();
		return (string) ob_get_clean();
	}

	/**
	 * Import one draft of a feed; returns the post ID.
	 *
	 * @param array<string, mixed> $fields Draft fields to override.
	 */
	private static function import( \ATAI\Feed $feed, string $guid, array $fields = array() ): int {
		$draft = Contract_Fixtures::draft( $feed->id, $guid, $fields );
		return Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];
	}

	public function test_all_posts_gets_a_source_column_after_the_title_for_administrators_only(): void {
		self::act_as( 'administrator' );
		$columns = apply_filters( 'manage_post_posts_columns', array( 'cb' => '', 'title' => 'Title', 'author' => 'Author' ) );
		$this->assertSame( array( 'cb', 'title', 'atai_source', 'author' ), array_keys( $columns ) );

		self::act_as( 'editor' );
		$this->assertArrayNotHasKey( 'atai_source', apply_filters( 'manage_post_posts_columns', array( 'title' => 'Title' ) ) );
	}

	public function test_the_source_column_names_the_feed_and_links_to_the_original(): void {
		self::act_as( 'administrator' );
		$feed    = self::create_feed( array( 'title' => 'Harbour & Sons' ) );
		$post_id = self::import( $feed, 'cranes' );
		$own     = wp_insert_post( array( 'post_title' => 'Written here', 'post_status' => 'draft' ) );

		$cell = self::output( static fn() => Post_Source\render_column( 'atai_source', $post_id ) );
		$none = self::output( static fn() => Post_Source\render_column( 'atai_source', $own ) );

		$this->assertStringContainsString( 'Harbour &amp; Sons</a>', $cell );
		$this->assertStringContainsString( 'page=atai-feeds&#038;action=edit&#038;feed=' . $feed->id, $cell );
		$this->assertStringContainsString( 'href="https://news.example.org/articles/cranes"', $cell );
		$this->assertStringContainsString( 'Original on news.example.org', $cell );
		$this->assertStringContainsString( 'Not imported', $none );
	}

	public function test_the_filter_by_feed_lists_the_feeds_and_narrows_the_posts_list(): void {
		self::act_as( 'administrator' );
		$harbour = self::create_feed( array( 'title' => 'Harbour News' ) );
		$garden  = self::create_feed( array( 'title' => 'Garden Notes' ) );
		$first   = self::import( $harbour, 'one' );
		$second  = self::import( $garden, 'two' );
		$own     = wp_insert_post( array( 'post_title' => 'Written here', 'post_status' => 'draft' ) );

		$select = self::output( static fn() => Post_Source\render_filter( 'post' ) );
		$this->assertStringContainsString( '<label for="atai-filter-feed" class="screen-reader-text">Filter by feed</label>', $select );
		$this->assertStringContainsString( '>Harbour News (news.example.org)</option>', $select );
		$this->assertSame( '', self::output( static fn() => Post_Source\render_filter( 'page' ) ) );

		$this->assertSame( array( $first ), self::posts_listed_with( (string) $harbour->id ) );
		$this->assertEqualsCanonicalizing( array( $first, $second ), self::posts_listed_with( 'any' ) );
		$this->assertContains( $own, self::posts_listed_with( '' ) );
	}

	/**
	 * The IDs the posts list's main query finds with this filter value.
	 *
	 * @return int[]
	 */
	private static function posts_listed_with( string $feed ): array {
		set_current_screen( 'edit-post' );
		$_GET[ Post_Source\FILTER_ARG ] = $feed;
		$query                          = new \WP_Query();
		$previous                       = $GLOBALS['wp_the_query'];
		$GLOBALS['wp_the_query']        = $query;
		try {
			return array_map(
				'intval',
				$query->query(
					array(
						'post_type'      => 'post',
						'post_status'    => 'any',
						'fields'         => 'ids',
						'posts_per_page' => -1,
					)
				)
			);
		} finally {
			$GLOBALS['wp_the_query'] = $previous;
			unset( $_GET[ Post_Source\FILTER_ARG ] );
		}
	}

	public function test_the_editors_box_on_imported_posts_names_the_original_the_feed_and_the_model(): void {
		global $wp_meta_boxes;
		self::act_as( 'administrator' );
		$feed    = self::create_feed( array( 'title' => 'Harbour News' ) );
		$post_id = self::import( $feed, 'box' );
		$own     = wp_insert_post( array( 'post_title' => 'Written here', 'post_status' => 'draft' ) );

		$wp_meta_boxes = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a clean editor for this test.
		Provenance\add_meta_box( 'post', get_post( $own ) );
		$this->assertEmpty( $wp_meta_boxes );
		Provenance\add_meta_box( 'post', get_post( $post_id ) );
		$this->assertArrayHasKey( 'atai-provenance', $wp_meta_boxes['post']['side']['high'] );

		$box = self::output( static fn() => Provenance\render_box( get_post( $post_id ) ) );
		$this->assertStringContainsString( 'href="https://news.example.org/articles/box"', $box );
		$this->assertStringContainsString( '>Harbour News</a>', $box );
		$this->assertStringContainsString( '<code>gpt-4o-mini</code>', $box );
	}

	public function test_the_dashboard_widget_is_for_administrators(): void {
		global $wp_meta_boxes;
		require_once ABSPATH . 'wp-admin/includes/dashboard.php';
		set_current_screen( 'dashboard' );
		$wp_meta_boxes = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a clean dashboard for this test.

		self::act_as( 'editor' );
		Dashboard_Widget\add();
		$this->assertEmpty( $wp_meta_boxes );

		self::act_as( 'administrator' );
		Dashboard_Widget\add();
		$this->assertArrayHasKey( Dashboard_Widget\WIDGET, $wp_meta_boxes['dashboard']['normal']['core'] );
	}

	public function test_the_widget_charts_thirty_days_with_a_table_and_links_waiting_drafts_and_failing_feeds(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed( array( 'title' => 'Harbour News' ) );
		self::import( $feed, 'published' );
		self::import( $feed, 'held', array( 'hold' => true ) );
		$broken = self::create_feed( array( 'title' => 'Broken & Feed' ) );
		self::set_feed_columns(
			$broken->id,
			array(
				'last_status' => 'failed',
				'failed_runs' => 1,
				'last_error'  => 'fetch: got 404 from https://broken.example.org/feed',
			)
		);

		$html = self::output( 'ATAI\\Admin\\Dashboard_Widget\\render' );

		$this->assertSame( 2, array_sum( Dashboard_Widget\posts_by_day() ) );
		$this->assertStringContainsString( '1 draft waiting for review</a>', $html );
		$this->assertStringContainsString( 'page=atai-review', $html );
		$this->assertStringContainsString( '1 failing feed</a>', $html );
		$this->assertStringContainsString( 'Broken &amp; Feed</a>: <span class="atai-error">fetch: got 404 from https://broken.example.org/feed</span>', $html );
		// Posts and, as the imported drafts filed what their model calls cost, AI cost.
		$this->assertSame( 2, substr_count( $html, 'role="img"' ) );
		$this->assertSame( 2 * Dashboard_Widget\DAYS, substr_count( $html, '<rect class="atai-chart-bar"' ) );
		$this->assertStringContainsString( '2 in all over 30 days', $html );
		$this->assertSame( Dashboard_Widget\DAYS + 1, substr_count( $html, '<tr>' ) );
	}

	public function test_the_costs_the_runs_filed_draw_a_second_chart(): void {
		self::act_as( 'administrator' );
		$none = self::output( 'ATAI\\Admin\\Dashboard_Widget\\render' );
		$this->assertSame( 1, substr_count( $none, 'role="img"' ) );
		$this->assertStringContainsString( 'No AI cost recorded in these days.', $none );

		$feed   = self::create_feed( array( 'title' => 'Harbour News' ) );
		$priced = array(
			'model'             => 'gpt-4o-mini',
			'prompt_tokens'     => 1000,
			'completion_tokens' => 500,
			'micros'            => 420000,
			'unpriced'          => false,
		);
		Costs\record( str_repeat( 'c', 64 ), Contract_Fixtures::run_id(), $feed->id, 0, $priced );

		$html = self::output( 'ATAI\\Admin\\Dashboard_Widget\\render' );

		$this->assertSame( 2, substr_count( $html, 'role="img"' ) );
		$this->assertStringContainsString( '0.42 in all over 30 days', $html );
	}
}
