<?php
/**
 * Posts as rich as their source, through the real worker and the fake origin: images in the media
 * library, terms, fields, attribution, search engines, changes at the source and the publishing pace.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Attribution;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Media;
use ATAI\Post_Fields;
use ATAI\Posts;
use ATAI\Seo;
use ATAI\Settings;

/**
 * Each feature against real runs.
 */
final class RichPostsTest extends WorkerTestCase {

	/**
	 * A feed of /gen/images.xml with these cases, run to the end; its posts by case.
	 *
	 * @param string[]             $cases  Cases of tests/fakes/image_origin.py.
	 * @param array<string, mixed> $fields Feed fields and options.
	 * @return array<string, \WP_Post>
	 */
	private function posts_for( array $cases, array $fields = array() ): array {
		$name = $fields['name'] ?? 'p' . wp_generate_password( 6, false, false );
		unset( $fields['name'] );
		$feed = self::create_feed(
			$fields + array(
				'url'         => self::origin( '/gen/images.xml?cases=' . implode( ',', $cases ) . '&name=' . $name ),
				'post_status' => 'publish',
			)
		);
		$feed = $this->run_to_the_end( $feed );
		$this->assertSame( 'done', $feed->last_status, $feed->last_error );
		$posts = array();
		foreach ( self::posts_of( $feed->id ) as $post_id ) {
			$post = get_post( $post_id );
			$case = str_replace( ' ', '_', preg_replace( '/^Pictures: (.+) \(.*\)$/', '$1', $post->post_title ) );
			$posts[ $case ] = $post;
		}
		return $posts;
	}

	/**
	 * The notes on the item that made a post.
	 *
	 * @return string[]
	 */
	private static function notes_of( \WP_Post $post ): array {
		$item = Ledger\get( (string) get_post_meta( $post->ID, Posts\META_ITEM_KEY, true ) );
		return '' === $item['notes'] ? array() : explode( "\n", $item['notes'] );
	}

	public function test_the_featured_image_of_each_kind_of_source_is_in_the_media_library_with_alt_caption_and_title(): void {
		$cases = array( 'media_content', 'media_thumbnail', 'enclosure', 'itunes_image', 'content_image', 'page_image' );
		$posts = $this->posts_for( $cases, array( 'name' => 'kinds' ) );

		$this->assertSame( $cases, array_values( array_intersect( $cases, array_keys( $posts ) ) ) );
		$files = array();
		foreach ( $posts as $case => $post ) {
			$thumbnail = (int) get_post_thumbnail_id( $post );
			$this->assertGreaterThan( 0, $thumbnail, $case );
			$attachment = get_post( $thumbnail );
			$this->assertSame( 'image/jpeg', $attachment->post_mime_type );
			$this->assertSame( 'Image: Larkmouth Pictures: kinds', $attachment->post_excerpt );
			$this->assertFileExists( get_attached_file( $thumbnail ) );
			$metadata = wp_get_attachment_metadata( $thumbnail );
			$this->assertSame( array( 960, 640 ), array( $metadata['width'], $metadata['height'] ) );
			$files[ $case ] = md5_file( get_attached_file( $thumbnail ) );
		}
		// The image's own alt text when it has one, else the post's title; the title is the alt text.
		$content_alt = get_post_meta( get_post_thumbnail_id( $posts['content_image'] ), '_wp_attachment_image_alt', true );
		$this->assertSame( 'The quay at dawn', $content_alt );
		$this->assertSame( 'The quay at dawn', get_the_title( get_post_thumbnail_id( $posts['content_image'] ) ) );
		$this->assertSame( $posts['enclosure']->post_title, get_post_meta( get_post_thumbnail_id( $posts['enclosure'] ), '_wp_attachment_image_alt', true ) );
		// Six sources, six different photographs.
		$this->assertCount( 6, array_unique( $files ) );

		// The image editor makes the sub-sizes afterwards, from a cron event.
		$this->assertSame( array(), wp_get_attachment_metadata( get_post_thumbnail_id( $posts['enclosure'] ) )['sizes'] );
		Media\make_sizes();
		$this->assertArrayHasKey( 'thumbnail', wp_get_attachment_metadata( get_post_thumbnail_id( $posts['enclosure'] ) )['sizes'] );
	}

	public function test_an_image_shared_by_two_feeds_is_one_attachment(): void {
		$first  = $this->posts_for( array( 'shared' ), array( 'name' => 'shared-one' ) )['shared'];
		$second = $this->posts_for( array( 'shared' ), array( 'name' => 'shared-two' ) )['shared'];

		$this->assertNotSame( $first->ID, $second->ID );
		$this->assertGreaterThan( 0, (int) get_post_thumbnail_id( $first ) );
		$this->assertSame( get_post_thumbnail_id( $first ), get_post_thumbnail_id( $second ) );
	}

	public function test_images_in_the_content_are_copied_and_their_addresses_rewritten(): void {
		$post = $this->posts_for( array( 'body_images' ) )['body_images'];

		$uploads = wp_get_upload_dir()['baseurl'];
		$this->assertStringNotContainsString( self::origin( '/gen/photo/7.jpg' ), $post->post_content );
		$this->assertMatchesRegularExpression( '~<img src="' . preg_quote( $uploads, '~' ) . '/[^"]+/7(-\d+)?\.jpg" alt="Nets drying"~', $post->post_content );
		$this->assertStringNotContainsString( 'script.svg', $post->post_content );
		$this->assertStringContainsString( 'it is an SVG drawing, which can carry scripts', implode( "\n", self::notes_of( $post ) ) );
	}

	public function test_a_feed_may_keep_the_images_of_its_posts_remote(): void {
		$post = $this->posts_for( array( 'body_images' ), array( 'body_images' => 'remote' ) )['body_images'];

		$this->assertStringContainsString( 'src="' . self::origin( '/gen/photo/7.jpg' ) . '"', $post->post_content );
	}

	public function test_every_bad_image_gives_a_post_without_it_and_the_reason_on_its_item(): void {
		$bad   = array( 'private', 'redirect_private', 'not_found', 'slow_drip', 'html_page', 'svg_script', 'bomb', 'huge', 'truncated' );
		$posts = $this->posts_for( $bad, array( 'featured_image' => 'feed' ) );

		$reasons = array(
			'private'          => '10.255.255.1 is a private address',
			'redirect_private' => '169.254.169.254 is a link-local address',
			'not_found'        => 'got 404 from',
			'slow_drip'        => 'it did not arrive in full within 2 s',
			'html_page'        => 'it is an HTML page, not an image',
			'svg_script'       => 'it is an SVG drawing, which can carry scripts',
			'bomb'             => 'it is larger than the site\'s limit of 10 MB',
			'huge'             => 'it is 20,000 x 20,000 pixels, over the site\'s limit of 25 megapixels',
			'truncated'        => 'it is a damaged or incomplete JPEG file',
		);
		$this->assertEqualsCanonicalizing( $bad, array_keys( $posts ) );
		foreach ( $reasons as $case => $reason ) {
			$this->assertSame( 'publish', $posts[ $case ]->post_status, $case );
			$this->assertSame( 0, (int) get_post_thumbnail_id( $posts[ $case ] ), $case );
			$this->assertStringContainsString( $reason, implode( "\n", self::notes_of( $posts[ $case ] ) ), $case );
		}
		self::act_as( 'administrator' );
		$items = self::request( 'GET', 'feeds/' . (int) get_post_meta( $posts['huge']->ID, Posts\META_FEED_ID, true ) . '/items' )->get_data();
		$this->assertNotEmpty( array_filter( $items, static fn( $item ) => (bool) preg_grep( '/over the site\'s limit of 25 megapixels/', $item['notes'] ) ) );
	}

	public function test_the_feeds_categories_map_to_site_terms_and_the_author_becomes_the_byline(): void {
		$feed = self::create_feed(
			array(
				'url'            => self::origin( '/gen/terms.xml?items=6&terms=1' ),
				'post_status'    => 'publish',
				'term_map'       => array( 'Harbour => category:Quayside', 'Food => tag:food', 'Larkmouth => category:Local news' ),
				'unmapped_terms' => 'tag',
				'create_terms'   => true,
				'byline'         => true,
			)
		);
		$this->run_to_the_end( $feed );

		$posts = array_map( 'get_post', self::posts_of( $feed->id ) );
		$this->assertCount( 6, $posts );
		foreach ( $posts as $post ) {
			$categories = wp_get_post_categories( $post->ID, array( 'fields' => 'names' ) );
			$tags       = wp_get_post_tags( $post->ID, array( 'fields' => 'names' ) );
			$this->assertContains( 'Local news', $categories );
			$this->assertNotContains( 'Larkmouth', $tags );
			$this->assertNotContains( 'Harbour', $tags );
			$source_author = get_post_meta( $post->ID, Post_Fields\META_SOURCE_AUTHOR, true );
			$this->assertNotSame( '', $source_author );
			$GLOBALS['post'] = $post;
			$this->assertSame( $source_author, apply_filters( 'the_author', 'Feed user' ) );
		}
		$all_tags = wp_list_pluck( get_terms( array( 'taxonomy' => 'post_tag', 'hide_empty' => false ) ), 'name' );
		$this->assertContains( 'food', $all_tags );
		$this->assertNotContains( 'Food', $all_tags );
		// Another post keeps its author.
		$GLOBALS['post'] = get_post( self::factory_post() );
		$this->assertSame( 'Feed user', apply_filters( 'the_author', 'Feed user' ) );
		unset( $GLOBALS['post'] );
	}

	public function test_without_creating_terms_only_existing_ones_are_used_and_the_feeds_category_stands_in(): void {
		$category = wp_insert_term( 'From the feed', 'category' )['term_id'];
		$feed     = self::create_feed(
			array(
				'url'            => self::origin( '/gen/noterms.xml?items=3&terms=1' ),
				'post_status'    => 'publish',
				'category'       => $category,
				'term_map'       => array( 'Larkmouth => category:Nowhere yet' ),
				'unmapped_terms' => 'category',
				'create_terms'   => false,
				'post_date'      => 'import',
				'comment_status' => 'closed',
			)
		);
		$this->run_to_the_end( $feed );

		foreach ( self::posts_of( $feed->id ) as $post_id ) {
			$this->assertSame( array( $category ), wp_get_post_categories( $post_id ) );
			$this->assertSame( 'closed', get_post( $post_id )->comment_status );
			$this->assertGreaterThan( time() - HOUR_IN_SECONDS, strtotime( get_post( $post_id )->post_date_gmt . ' UTC' ) );
		}
		$this->assertNull( term_exists( 'Nowhere yet', 'category' ) );
	}

	public function test_the_source_line_follows_the_feeds_template_and_the_canonical_goes_to_the_original(): void {
		$feed = self::create_feed(
			array(
				'url'                  => self::origin( '/gen/credit.xml?items=1&terms=1' ),
				'post_status'          => 'publish',
				'source_line'          => 'First seen on {source_name} by {author}: <em>{link}</em>',
				'source_line_position' => 'top',
				'canonical'            => true,
			)
		);
		$this->run_to_the_end( $feed );

		$post   = get_post( current( self::posts_of( $feed->id ) ) );
		$source = get_post_meta( $post->ID, Posts\META_SOURCE_URL, true );
		$author = get_post_meta( $post->ID, Post_Fields\META_SOURCE_AUTHOR, true );
		// The template is text: markup typed into it is dropped when it is saved, never written into posts.
		$this->assertSame( 'First seen on {source_name} by {author}: {link}', Feeds\get( $feed->id )->options['source_line'] );
		$this->assertStringStartsWith( '<p class="atai-source">First seen on Larkmouth Notes: credit by ' . esc_html( $author ) . ': <a href="' . esc_url( $source ) . '">', $post->post_content );
		$this->assertSame( $source, wp_get_canonical_url( $post ) );
		$this->assertSame( $source, get_post_meta( $post->ID, Attribution\META_CANONICAL, true ) );
	}

	public function test_without_an_seo_plugin_the_description_is_ours_and_printed_in_the_head(): void {
		$feed = self::create_feed(
			array(
				'url'         => self::origin( '/gen/described.xml?items=1' ),
				'post_status' => 'publish',
			)
		);
		$this->run_to_the_end( $feed );

		$post_id     = current( self::posts_of( $feed->id ) );
		$description = get_post_meta( $post_id, Seo\META_DESCRIPTION, true );
		$this->assertSame( '', Seo\active_plugin() );
		$this->assertNotSame( '', $description );
		$this->assertLessThanOrEqual( 160, mb_strlen( $description ) );
		$this->assertSame( '', get_post_meta( $post_id, '_yoast_wpseo_metadesc', true ) );
		$this->assertSame( '', get_post_meta( $post_id, 'rank_math_description', true ) );
		$this->assertNotSame( '', get_post( $post_id )->post_name );

		$this->view_post( $post_id );
		ob_start();
		Seo\print_description();
		$this->assertSame( '<meta name="description" content="' . esc_attr( $description ) . '" />' . "\n", ob_get_clean() );
	}

	public function test_a_daily_cap_schedules_the_posts_beyond_it_spread_over_the_publishing_hours(): void {
		$feed = self::create_feed(
			array(
				'url'            => self::origin( '/gen/paced.xml?items=5' ),
				'post_status'    => 'publish',
				'daily_cap'      => 2,
				'publish_window' => '00:00-24:00',
			)
		);
		$this->run_to_the_end( $feed );

		$posts    = array_map( 'get_post', array_values( self::posts_of( $feed->id ) ) );
		$statuses = array_count_values( wp_list_pluck( $posts, 'post_status' ) );
		$this->assertSame( 5, array_sum( $statuses ) );
		$this->assertLessThanOrEqual( 2, $statuses['publish'] ?? 0 );
		$this->assertGreaterThanOrEqual( 3, $statuses['future'] );
		$days = array();
		foreach ( $posts as $post ) {
			$days[ substr( $post->post_date, 0, 10 ) ][] = strtotime( $post->post_date_gmt . ' UTC' );
		}
		foreach ( $days as $times ) {
			$this->assertLessThanOrEqual( 2, count( $times ) );
			sort( $times );
			// Two a day over 24 hours: 12 hours apart.
			if ( 2 === count( $times ) ) {
				$this->assertGreaterThanOrEqual( 12 * HOUR_IN_SECONDS - MINUTE_IN_SECONDS, $times[1] - $times[0] );
			}
		}
		$this->assertGreaterThanOrEqual( 3, count( $days ) );
	}

	public function test_the_site_wide_cap_counts_every_feed(): void {
		update_option( Settings\DAILY_POST_CAP, 3 );
		$first  = self::create_feed( array( 'url' => self::origin( '/gen/site-a.xml?items=2' ), 'post_status' => 'publish' ) );
		$second = self::create_feed( array( 'url' => self::origin( '/gen/site-b.xml?items=2' ), 'post_status' => 'publish' ) );
		$this->run_to_the_end( $first );
		$this->run_to_the_end( $second );

		$posts = array_map( 'get_post', array_merge( array_values( self::posts_of( $first->id ) ), array_values( self::posts_of( $second->id ) ) ) );
		$today = array_filter( $posts, static fn( $post ) => substr( $post->post_date, 0, 10 ) === wp_date( 'Y-m-d' ) );
		$this->assertLessThanOrEqual( 3, count( $today ) );
		$this->assertContains( 'future', wp_list_pluck( $posts, 'post_status' ) );
	}

	public function test_a_post_whose_source_changed_is_flagged_and_refreshed_only_when_the_feed_says_so(): void {
		$flagged   = self::create_feed( array( 'url' => self::origin( '/gen/changing-a.xml?items=2' ), 'post_status' => 'publish' ) );
		$refreshed = self::create_feed(
			array(
				'url'              => self::origin( '/gen/changing-b.xml?items=2' ),
				'post_status'      => 'publish',
				'on_source_change' => 'refresh',
			)
		);
		$this->run_to_the_end( $flagged );
		$this->run_to_the_end( $refreshed );
		$before = array(
			'flagged'   => array_map( static fn( $id ) => get_post( $id )->post_content, self::posts_of( $flagged->id ) ),
			'refreshed' => array_map( static fn( $id ) => get_post( $id )->post_content, self::posts_of( $refreshed->id ) ),
		);

		// The same entries (same guids, so the same keys), now with other text.
		Feeds\update( $flagged->id, array( 'url' => self::origin( '/gen/changing-a.xml?items=2&size=2600' ) ) );
		Feeds\update( $refreshed->id, array( 'url' => self::origin( '/gen/changing-b.xml?items=2&size=2600' ) ) );
		$this->run_to_the_end( Feeds\get( $flagged->id ) );
		$this->run_to_the_end( Feeds\get( $refreshed->id ) );

		$this->assertCount( 2, self::posts_of( $flagged->id ) );
		foreach ( self::posts_of( $flagged->id ) as $key => $post_id ) {
			$this->assertSame( $before['flagged'][ $key ], get_post( $post_id )->post_content );
			$item = Ledger\get( $key );
			$this->assertNotNull( $item['source_changed'] );
			$this->assertStringContainsString( 'The source changed (seen on', $item['notes'] );
		}
		foreach ( self::posts_of( $refreshed->id ) as $key => $post_id ) {
			$this->assertNotSame( $before['refreshed'][ $key ], get_post( $post_id )->post_content );
			$this->assertNotEmpty( wp_get_post_revisions( $post_id ) );
			$this->assertStringContainsString( 'the post was refreshed on', Ledger\get( $key )['notes'] );
		}
		// Unchanged since: a third run flags nothing new.
		$this->run_to_the_end( Feeds\get( $flagged->id ) );
		$this->assertCount( 2, self::posts_of( $flagged->id ) );
	}

	public function test_ai_tags_may_be_limited_to_tags_the_site_has(): void {
		wp_insert_term( 'harbour', 'post_tag' );
		$draft = array(
			'categories' => array(),
			'tags'       => array( 'harbour', 'brand new tag' ),
		);
		$names = static fn( array $terms ): array => array_map( static fn( $tt ) => get_term_by( 'term_taxonomy_id', $tt )->name, $terms['tags'] );

		$existing = \ATAI\Terms\for_draft( $draft, self::create_feed( array( 'ai_tags' => 'existing' ) ), $draft['tags'] );
		$none     = \ATAI\Terms\for_draft( $draft, self::create_feed( array( 'ai_tags' => 'none' ) ), $draft['tags'] );
		$any      = \ATAI\Terms\for_draft( $draft, self::create_feed(), $draft['tags'] );

		$this->assertSame( array( 'harbour' ), $names( $existing ) );
		$this->assertSame( array(), $none['tags'] );
		$this->assertSame( array( 'harbour', 'brand new tag' ), $names( $any ) );
	}

	public function test_an_image_past_the_collections_time_budget_comes_with_the_cron_event(): void {
		$feed    = self::create_feed(
			array(
				'url'         => self::origin( '/gen/images.xml?cases=media_content&name=late' ),
				'post_status' => 'publish',
			)
		);
		$run_id  = \ATAI\Runs\dispatch( $feed )['run_id'];
		$give_up = microtime( true ) + self::RUN_WAIT_SECONDS;
		do {
			usleep( 200000 );
			$run = \ATAI\Worker\get_run( $run_id );
		} while ( 'done' !== $run['state'] && microtime( true ) < $give_up );
		$this->assertSame( 'done', $run['state'] );

		// A collection whose time is up: the post is made at once, its image is left for later.
		$batch           = Posts\Import_Batch::begin();
		$batch->deadline = 0.0;
		$post_id         = Posts\import_draft( $run['drafts'][0], Feeds\get( $feed->id ), $run_id, $batch );
		$batch->end();
		$this->assertGreaterThan( 0, $post_id );
		$this->assertSame( 0, (int) get_post_thumbnail_id( $post_id ) );
		$this->assertNotSame( '', get_post_meta( $post_id, Media\META_PENDING, true ) );
		$this->assertNotFalse( wp_next_scheduled( Media\PENDING_HOOK ) );

		Media\copy_pending();

		$this->assertGreaterThan( 0, (int) get_post_thumbnail_id( $post_id ) );
		$this->assertSame( '', get_post_meta( $post_id, Media\META_PENDING, true ) );
	}

	/**
	 * A post of the site's own (not imported); returns its ID.
	 */
	private static function factory_post(): int {
		return (int) wp_insert_post(
			array(
				'post_title'   => 'The site\'s own post',
				'post_content' => 'Written here.',
				'post_status'  => 'publish',
			)
		);
	}

	/**
	 * Set up the main query for a post's page, as loading it would.
	 */
	private function view_post( int $post_id ): void {
		$GLOBALS['wp_the_query']->query( 'p=' . $post_id );
		$GLOBALS['wp_query'] = $GLOBALS['wp_the_query'];
	}
}
