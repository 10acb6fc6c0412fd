<?php
/**
 * The feed value class, where the table's columns, the PHP properties and the REST fields meet.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Feed;
use ATAI\Feeds;
use ATAI\REST;
use ATAI\Schema;

/**
 * Feed::from_row(), to_columns() and to_rest() agree with the table and the REST schema.
 */
final class FeedTest extends TestCase {

	/**
	 * The feed's row as the database holds it.
	 *
	 * @return array<string, string|null>
	 */
	private static function row( int $id ): array {
		global $wpdb;
		$table = Schema\feeds_table();
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", $id ), ARRAY_A );
	}

	public function test_the_editable_fields_go_back_to_the_columns_they_were_read_from(): void {
		$feed = self::create_feed(
			array(
				'title'       => 'Harbour News',
				'post_status' => 'publish',
				'max_posts'   => 7,
				'interval'    => '6hours',
			)
		);
		$row  = self::row( $feed->id );

		$columns = Feed::from_row( $row )->to_columns();

		$this->assertSame( array_intersect_key( $row, $columns ), array_map( 'strval', $columns ) );
		$this->assertSame( '6hours', $feed->interval );
		$this->assertSame( 6 * HOUR_IN_SECONDS, $feed->interval_seconds );
	}

	public function test_the_editable_fields_are_the_fields_the_feed_was_made_of(): void {
		self::act_as( 'editor' );
		$fields = Feeds\validate( array( 'url' => 'https://news.example.org/rss' ) );

		$this->assertSame( $fields, Feed::from_fields( $fields )->fields() );
		$this->assertSame( Feed::editable(), array_keys( $fields ) );
	}

	public function test_the_rest_shape_has_exactly_the_properties_of_the_feed_schema(): void {
		$rest = self::create_feed()->to_rest( 0 );

		$this->assertSame( array_keys( REST\feed_schema()['properties'] ), array_keys( $rest ) );
	}
}
