<?php
/**
 * The feeds list: views with counts, search, sorting, names told apart by host, held and failed counts,
 * and the bulk actions with their nonce and capability checks.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Bulk;
use ATAI\Admin\Feeds_List_Table;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;

/**
 * Renders the list as an administrator with query arguments, and calls the bulk handler as admin-post would.
 */
final class FeedsListTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-feeds-list-table.php';
		set_current_screen( 'toplevel_page_atai-feeds' );
		self::act_as( 'administrator' );
	}

	/**
	 * The list's HTML (views, then the table) for these query arguments.
	 *
	 * @param array<string, string> $args Query arguments.
	 */
	private static function list_html( array $args = array() ): string {
		$_GET  = $args;
		$table = new Feeds_List_Table();
		$table->prepare_items();
		ob_start();
		$table->views();
		$table->display();
		$_GET = array();
		return (string) ob_get_clean();
	}

	/**
	 * The feed IDs of the rows, in order.
	 *
	 * @return int[]
	 */
	private static function row_ids( string $html ): array {
		preg_match_all( '/name="feed\[\]" id="atai-feed-(\d+)"/', $html, $ids );
		return array_map( 'intval', $ids[1] );
	}

	public function test_views_count_active_failing_and_paused_feeds_and_filter_the_rows(): void {
		$active  = self::create_feed( array( 'title' => 'Harbour News' ) );
		$failing = self::set_feed_columns(
			self::create_feed( array( 'title' => 'Broken Wire' ) )->id,
			array(
				'last_status' => 'failed',
				'failed_runs' => 1,
			)
		);
		$paused  = self::create_feed( array( 'title' => 'Quiet Notes' ) );
		Feeds\set_status( $paused->id, 'paused' );
		$total = Feeds\count_all();

		$html = self::list_html();
		$this->assertStringContainsString( 'All <span class="count">(' . $total . ')</span>', $html );
		$this->assertMatchesRegularExpression( '/Failing <span class="count">\(\d+\)<\/span>/', $html );

		$this->assertContains( $failing->id, self::row_ids( self::list_html( array( 'status' => 'failing' ) ) ) );
		$this->assertNotContains( $active->id, self::row_ids( self::list_html( array( 'status' => 'failing' ) ) ) );
		$this->assertSame( array( $paused->id ), array_values( array_intersect( array( $active->id, $failing->id, $paused->id ), self::row_ids( self::list_html( array( 'status' => 'paused' ) ) ) ) ) );
		$this->assertStringContainsString( '<strong class="atai-state atai-state-failing">Failing</strong>', self::list_html( array( 's' => 'Broken Wire' ) ) );
	}

	public function test_search_finds_feeds_by_title_or_address(): void {
		$harbour = self::create_feed( array( 'title' => 'Harbour News' ) );
		$garden  = self::create_feed( array( 'title' => 'Garden Notes' ) );

		$this->assertSame( array( $harbour->id ), self::row_ids( self::list_html( array( 's' => 'Harbour News' ) ) ) );
		$this->assertContains( $garden->id, self::row_ids( self::list_html( array( 's' => wp_parse_url( $garden->url, PHP_URL_PATH ) ) ) ) );
		$this->assertStringContainsString( 'No feed matches.', self::list_html( array( 's' => 'no feed has this <name>' ) ) );
	}

	public function test_columns_sort_by_name_and_by_posts_made(): void {
		$b    = self::create_feed( array( 'title' => 'Bbb sorting feed' ) );
		$a    = self::create_feed( array( 'title' => 'Aaa sorting feed' ) );
		$many = self::create_feed( array( 'title' => 'Ccc sorting feed' ) );
		Runs\import_drafts( $many, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $many->id, 'one' ), Contract_Fixtures::draft( $many->id, 'two' ) ) );

		$by_name = array_values( array_intersect( self::row_ids( self::list_html( array( 's' => 'sorting feed', 'orderby' => 'feed', 'order' => 'asc' ) ) ), array( $a->id, $b->id, $many->id ) ) );
		$by_posts = self::row_ids( self::list_html( array( 's' => 'sorting feed', 'orderby' => 'posts_made', 'order' => 'desc' ) ) );

		$this->assertSame( array( $a->id, $b->id, $many->id ), $by_name );
		$this->assertSame( $many->id, $by_posts[0] );
		$this->assertStringContainsString( 'sorted asc', self::list_html( array( 'orderby' => 'feed', 'order' => 'asc' ) ) );
	}

	public function test_two_feeds_with_the_same_title_are_told_apart_by_their_host(): void {
		self::create_feed( array( 'title' => 'Daily Wire', 'url' => 'https://one.example.org/feed.xml' ) );
		self::create_feed( array( 'title' => 'Daily Wire', 'url' => 'https://two.example.net/feed.xml' ) );

		$html = self::list_html( array( 's' => 'Daily Wire' ) );

		$this->assertStringContainsString( '>Daily Wire (one.example.org)</a>', $html );
		$this->assertStringContainsString( '>Daily Wire (two.example.net)</a>', $html );
	}

	public function test_held_and_failed_items_are_counted_and_linked(): void {
		$feed   = self::create_feed( array( 'title' => 'Harbour News' ) );
		$run_id = Contract_Fixtures::run_id();
		Runs\import_drafts( $feed, $run_id, array( Contract_Fixtures::draft( $feed->id, 'kept' ), Contract_Fixtures::draft( $feed->id, 'held', array( 'hold' => true ) ) ) );
		Ledger\record_failures( $feed->id, $run_id, array( Contract_Fixtures::item_error( $feed->id, 'broken' ) ) );

		$counts = Feeds_List_Table::item_counts( array( $feed->id ) )[ $feed->id ];
		$html   = self::list_html( array( 's' => 'Harbour News' ) );

		$this->assertSame( array( 'posted' => 1, 'held' => 1, 'failed' => 1 ), $counts );
		$this->assertStringContainsString( 'post_status=pending&#038;atai_feed=' . $feed->id, $html );
		$this->assertStringContainsString( 'page=atai-activity&#038;feed=' . $feed->id . '&#038;outcome=failed', $html );
	}

	/**
	 * Run the bulk handler with this request; returns where it redirected.
	 *
	 * @param array<string, mixed> $request Request fields.
	 */
	private static function bulk( array $request ): string {
		return self::handle( 'ATAI\\Admin\\Feeds_Bulk\\handle', $request );
	}

	/**
	 * Run a form handler with this request as admin-post.php would; returns where it redirected.
	 *
	 * @param callable             $handler The handler.
	 * @param array<string, mixed> $request Request fields.
	 */
	private static function handle( callable $handler, array $request ): string {
		$_REQUEST = $request;
		$_GET     = $request;
		$die      = array( AdminScreensTest::class, 'throwing_die_handler' );
		$redirect = static function ( $location ) {
			throw new \LengthException( (string) $location );
		};
		add_filter( 'wp_die_handler', $die );
		add_filter( 'wp_redirect', $redirect );
		try {
			$handler();
			return '';
		} catch ( \LengthException $went ) {
			return $went->getMessage();
		} finally {
			remove_filter( 'wp_die_handler', $die );
			remove_filter( 'wp_redirect', $redirect );
			$_REQUEST = array();
			$_GET     = array();
		}
	}

	public function test_bulk_pause_and_resume_change_the_chosen_feeds_only(): void {
		$first  = self::create_feed();
		$second = self::create_feed();
		$other  = self::create_feed();
		$feeds  = array( (string) $first->id, (string) $second->id );

		$went = self::bulk( array( 'action' => 'pause', 'feed' => $feeds, '_wpnonce' => wp_create_nonce( Feeds_Bulk\NONCE ) ) );

		$this->assertStringContainsString( 'page=atai-feeds', $went );
		$this->assertSame( array( 'paused', 'paused', 'active' ), array( Feeds\get( $first->id )->status, Feeds\get( $second->id )->status, Feeds\get( $other->id )->status ) );
		$this->assertContains( '2 feeds paused.', array_column( \ATAI\Admin\Notices\take(), 'message' ) );

		self::bulk( array( 'action' => '-1', 'action2' => 'resume', 'feed' => $feeds, '_wpnonce' => wp_create_nonce( Feeds_Bulk\NONCE ) ) );

		$this->assertSame( array( 'active', 'active' ), array( Feeds\get( $first->id )->status, Feeds\get( $second->id )->status ) );
	}

	public function test_bulk_delete_removes_the_feeds_and_keeps_their_posts(): void {
		$feed    = self::create_feed();
		$draft   = Contract_Fixtures::draft( $feed->id, 'stays' );
		$post_id = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];

		self::bulk( array( 'action' => 'delete', 'feed' => array( (string) $feed->id ), '_wpnonce' => wp_create_nonce( Feeds_Bulk\NONCE ) ) );

		$this->assertNull( Feeds\get( $feed->id ) );
		$this->assertNotNull( get_post( $post_id ) );
	}

	public function test_bulk_actions_without_the_nonce_or_by_a_subscriber_are_refused_and_change_nothing(): void {
		$feed = self::create_feed();

		foreach ( array( 'forged' => 'administrator', 'valid' => 'subscriber', 'none' => null ) as $nonce => $role ) {
			$role ? self::act_as( $role ) : wp_set_current_user( 0 );
			$value   = 'valid' === $nonce ? wp_create_nonce( Feeds_Bulk\NONCE ) : ( 'forged' === $nonce ? 'forged' : '' );
			$refused = false;
			try {
				self::bulk( array( 'action' => 'pause', 'feed' => array( (string) $feed->id ), '_wpnonce' => $value ) );
			} catch ( \RuntimeException $died ) {
				$refused = true;
			}
			$this->assertTrue( $refused, "$nonce nonce, " . ( $role ?? 'visitor' ) );
			$this->assertSame( 'active', Feeds\get( $feed->id )->status );
		}
	}

	public function test_a_feeds_items_show_their_date_state_and_the_posts_status_or_that_it_was_deleted(): void {
		$feed   = self::create_feed( array( 'title' => 'Harbour News' ) );
		$drafts = array(
			Contract_Fixtures::draft( $feed->id, 'kept', array( 'title' => 'Kept post' ) ),
			Contract_Fixtures::draft( $feed->id, 'held', array( 'title' => 'Held post', 'hold' => true ) ),
			Contract_Fixtures::draft( $feed->id, 'gone', array( 'title' => 'Gone post' ) ),
		);
		$posted = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), $drafts )['posted'];
		wp_delete_post( $posted[ $drafts[2]['key'] ], true );

		ob_start();
		\ATAI\Admin\Feeds_Page\render_items( $feed->id );
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( '<th scope="col">Date</th>', $html );
		$this->assertStringContainsString( esc_html( wp_date( get_option( 'date_format' ) ) ), $html );
		$this->assertStringContainsString( '>Kept post</a> <span class="atai-post-status">(Draft)</span>', $html );
		$this->assertStringContainsString( 'Waiting for review', $html );
		$this->assertStringContainsString( '>Held post</a> <span class="atai-post-status">(Pending)</span>', $html );
		$this->assertStringContainsString( '<td>Deleted</td>', $html );
	}

	public function test_an_item_that_failed_for_good_can_be_tried_again_by_an_administrator_only(): void {
		$feed   = self::create_feed();
		$failed = Contract_Fixtures::item_error( $feed->id, 'given-up', array( 'retryable' => false ) );
		$later  = Contract_Fixtures::item_error( $feed->id, 'next-run' );
		Ledger\record_failures( $feed->id, Contract_Fixtures::run_id(), array( $failed, $later ) );
		ob_start();
		\ATAI\Admin\Feeds_Page\render_items( $feed->id );
		$html = (string) ob_get_clean();
		$this->assertSame( 1, substr_count( $html, '>Try again</a>' ) );
		$request = array(
			'feed' => (string) $feed->id,
			'item' => $failed['key'],
		);

		foreach ( array( 'forged' => 'administrator', 'valid' => 'subscriber', 'none' => null ) as $nonce => $role ) {
			$role ? self::act_as( $role ) : wp_set_current_user( 0 );
			$value   = 'valid' === $nonce ? wp_create_nonce( \ATAI\Admin\Item_Retry\ACTION . '_' . $failed['key'] ) : ( 'forged' === $nonce ? 'forged' : '' );
			$refused = false;
			try {
				self::handle( 'ATAI\\Admin\\Item_Retry\\handle', $request + array( '_wpnonce' => $value ) );
			} catch ( \RuntimeException $died ) {
				$refused = true;
			}
			$this->assertTrue( $refused, "$nonce nonce, " . ( $role ?? 'visitor' ) );
			$this->assertTrue( Ledger\get( $failed['key'] )['failed_for_good'] );
		}

		self::act_as( 'administrator' );
		$went = self::handle( 'ATAI\\Admin\\Item_Retry\\handle', $request + array( '_wpnonce' => wp_create_nonce( \ATAI\Admin\Item_Retry\ACTION . '_' . $failed['key'] ) ) );

		$this->assertStringContainsString( 'action=edit&feed=' . $feed->id, $went );
		$this->assertFalse( Ledger\get( $failed['key'] )['failed_for_good'] );
		$this->assertNotContains( $failed['key'], Ledger\seen_keys( $feed->id, null ) );
	}

	public function test_scripts_and_styles_load_on_the_plugins_screens_and_the_dashboard_only(): void {
		$loaded = static function ( string $hook ): array {
			foreach ( array( 'atai-admin', 'atai-run-panel' ) as $script ) {
				wp_dequeue_script( $script );
			}
			foreach ( array( 'atai-admin', 'atai-dashboard' ) as $style ) {
				wp_dequeue_style( $style );
			}
			do_action( 'admin_enqueue_scripts', $hook );
			return array_values(
				array_filter(
					array( 'script atai-admin', 'script atai-run-panel', 'style atai-admin', 'style atai-dashboard' ),
					static function ( string $asset ): bool {
						list( $kind, $handle ) = explode( ' ', $asset );
						return 'script' === $kind ? wp_script_is( $handle, 'enqueued' ) : wp_style_is( $handle, 'enqueued' );
					}
				)
			);
		};

		$this->assertSame( array( 'script atai-admin', 'script atai-run-panel', 'style atai-admin' ), $loaded( 'toplevel_page_atai-feeds' ) );
		$this->assertSame( array( 'style atai-dashboard' ), $loaded( 'index.php' ) );
		$this->assertSame( array(), $loaded( 'edit.php' ) );
		$this->assertSame( array(), $loaded( 'options-general.php' ) );
	}
}
