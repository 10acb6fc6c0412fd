<?php
/**
 * A feed's options: defined once, stored as JSON, read back through their checks, shown as flat fields
 * in REST and on the form, and the worker's share of them sent with each run.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Page;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Runs;
use ATAI\Schema;

/**
 * The options registry and everything that reads it.
 */
final class FeedOptionsTest extends RestTestCase {

	/**
	 * A feed's row as the table has it.
	 *
	 * @return array<string, string|null>
	 */
	private static function row( int $id ): array {
		global $wpdb;
		$table = Schema\feeds_table();
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", $id ), ARRAY_A );
	}

	public function test_a_new_feed_has_every_option_at_its_default(): void {
		$feed = self::create_feed();

		$this->assertSame( Feed_Options\defaults(), $feed->options );
		$this->assertSame( 'auto', $feed->options['full_text'] );
		$this->assertFalse( $feed->options['embeds'] );
	}

	public function test_options_are_stored_in_one_json_column_and_read_back_the_same(): void {
		$feed = self::create_feed( array( 'full_text' => 'always' ) );

		$stored = json_decode( (string) self::row( $feed->id )['options'], true );

		$this->assertSame( 'always', $stored['full_text'] );
		$this->assertSame( 'always', Feeds\get( $feed->id )->options['full_text'] );
	}

	public function test_a_stored_value_that_no_longer_passes_its_check_reads_as_the_default(): void {
		global $wpdb;
		$feed = self::create_feed();
		$wpdb->update( Schema\feeds_table(), array( 'options' => '{"full_text":"sometimes","embeds":true,"gone":1}' ), array( 'id' => $feed->id ) );

		$options = Feeds\get( $feed->id )->options;

		$this->assertSame( 'auto', $options['full_text'] );
		$this->assertTrue( $options['embeds'] );
		$this->assertArrayNotHasKey( 'gone', $options );
	}

	public function test_a_broken_options_column_reads_as_the_defaults(): void {
		global $wpdb;
		$feed = self::create_feed();
		$wpdb->update( Schema\feeds_table(), array( 'options' => '{not json' ), array( 'id' => $feed->id ) );

		$this->assertSame( Feed_Options\defaults(), Feeds\get( $feed->id )->options );
	}

	public function test_rest_shows_and_changes_options_as_flat_fields(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed();

		$changed = self::request( 'POST', 'feeds/' . $feed->id, array( 'full_text' => 'always' ) );

		$this->assertSame( 200, $changed->get_status(), self::error_text( $changed ) );
		$this->assertSame( 'always', $changed->get_data()['full_text'] );
		$this->assertSame( 'always', Feeds\get( $feed->id )->options['full_text'] );
	}

	public function test_a_value_an_option_does_not_offer_is_refused_naming_the_field(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed();

		$refused = self::request( 'POST', 'feeds/' . $feed->id, array( 'full_text' => 'sometimes' ) );

		$this->assertSame( 400, $refused->get_status() );
		$this->assertSame( 'auto', Feeds\get( $feed->id )->options['full_text'] );
	}

	public function test_each_type_checks_its_values_in_words(): void {
		$this->assertSame( array( 'a', 'b' ), Feed_Options\clean_by_type( array( 'type' => 'list' ), "a\n\nb\na" ) );
		$this->assertSame( array( 'a', 'b' ), Feed_Options\clean_by_type( array( 'type' => 'list' ), array( 'a', 'b', '' ) ) );
		$this->assertSame( 7, Feed_Options\clean_by_type( array( 'type' => 'integer', 'minimum' => 1, 'maximum' => 9 ), ' 7 ' ) );
		$this->assertSame(
			'enter a whole number from 1 to 9.',
			Feed_Options\clean_by_type( array( 'type' => 'integer', 'minimum' => 1, 'maximum' => 9 ), '12' )->get_error_message()
		);
		$this->assertSame( 'enter at most 3 characters.', Feed_Options\clean_by_type( array( 'type' => 'string', 'max_length' => 3 ), 'four' )->get_error_message() );
		$this->assertSame( 'enter at most 2 entries.', Feed_Options\clean_by_type( array( 'type' => 'list', 'max_items' => 2 ), "a\nb\nc" )->get_error_message() );
		$this->assertSame( "two\nlines", Feed_Options\clean_by_type( array( 'type' => 'text' ), "two\nlines" ) );
		$this->assertTrue( Feed_Options\clean_by_type( array( 'type' => 'boolean' ), '1' ) );
	}

	public function test_the_run_request_carries_the_options_the_worker_needs_and_no_others(): void {
		$feed = self::create_feed( array( 'full_text' => 'always' ) );

		$request = Runs\run_request( $feed );

		$worker_options = array_keys( array_filter( Feed_Options\definitions(), static fn( array $definition ) => ! empty( $definition['worker'] ) ) );
		$this->assertEquals( (object) ( array( 'full_text' => 'always' ) + array_intersect_key( Feed_Options\defaults(), array_flip( $worker_options ) ) ), $request['options'] );
		$this->assertContains( 'exclude_keywords', $worker_options );
		$this->assertContains( 'preset', $worker_options );
		$this->assertFalse( property_exists( $request['options'], 'embeds' ) );
		$this->assertTrue( \ATAI\Contract\validate( 'RunRequest', json_decode( wp_json_encode( $request ), true ) ) );
	}

	public function test_the_edit_form_shows_each_group_of_options_under_its_heading(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed( array( 'full_text' => 'always' ) );

		ob_start();
		Feeds_Page\render_form( $feed );
		$html = ob_get_clean();

		$this->assertStringContainsString( '<h2 class="title">Source</h2>', $html );
		$this->assertStringContainsString( '<h2 class="title">Posts</h2>', $html );
		$this->assertMatchesRegularExpression( '~<select name="full_text" id="atai-full_text">.*<option value="always" selected=\'selected\'>~s', $html );
	}

	public function test_the_form_saves_options_like_any_other_field(): void {
		self::act_as( 'administrator' );
		$feed = self::create_feed();
		// As the form posts them: check boxes as "1" or "0", a list as one entry a line.
		$form = array( 'feed_id' => (string) $feed->id ) + array_map(
			static fn( $value ) => is_bool( $value ) ? ( $value ? '1' : '0' ) : ( is_array( $value ) ? implode( "\n", $value ) : (string) $value ),
			$feed->fields()
		);

		Feeds_Page\save_from_form( array( 'full_text' => 'always', 'embeds' => '0' ) + $form );

		$this->assertSame( 'always', Feeds\get( $feed->id )->options['full_text'] );
		$this->assertFalse( Feeds\get( $feed->id )->options['embeds'] );
	}

	public function test_every_editable_field_is_a_core_field_or_an_option_and_none_is_both(): void {
		$this->assertSame( array(), array_intersect( Feed::CORE_FIELDS, array_keys( Feed_Options\definitions() ) ) );
		$this->assertSame( array_merge( Feed::CORE_FIELDS, array_keys( Feed_Options\definitions() ) ), Feed::editable() );
		foreach ( Feed_Options\definitions() as $name => $definition ) {
			$this->assertContains( $definition['group'], Feed_Options\GROUPS, $name );
			$this->assertFalse( is_wp_error( Feed_Options\check( $name, $definition['default'] ) ), $name );
		}
	}
}
